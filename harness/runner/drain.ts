/**
 * Phase 4, drain: after producing, each group reads until it has every acknowledged message (or
 * nothing more arrives), and its `drain` line tells the checker whether to judge its losses.
 */
import { wallMs } from "../../core/clock.js";
import type { HistoryRecorder } from "../history/index.js";
import type { RunMetrics } from "../metrics/index.js";
import type { ConsumerLoop, GroupState } from "./consumer-loop.js";
import type { RunSession } from "./setup.js";

/** A group whose consumers are this quiet after producing ended has caught up (or lost the rest). */
const DRAIN_QUIET_MS = 2000;
/** Caught up by count (delivered ≥ acknowledged) also needs this much quiet, for stragglers. */
const DRAIN_SETTLE_MS = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long an interrupted run lets its groups read what was acknowledged before it stops. */
export const INTERRUPTED_DRAIN_MS = 2000;

/**
 * The quiet that ends a group's drain: longer than the broker's redelivery delay, so that what a
 * killed consumer left unacknowledged has come back before the rest is judged lost.
 */
export function quietFor(redeliveryDelayMs = 0): number {
  return Math.max(DRAIN_QUIET_MS, redeliveryDelayMs + 1000);
}

/**
 * Drains the session's groups (briefly when the run was interrupted; not at all when it was
 * aborted by an error), then records the first consumer error as the run's error.
 */
export async function drainPhase(session: RunSession): Promise<void> {
  const { clients, metrics, recorder, ctx, log, plan } = session;
  const interrupted = session.interrupted.at !== null;
  if (!ctx.abort.aborted) {
    const timeoutMs = plan.workload.drainTimeoutS * 1000;
    await drain(
      clients.groups,
      clients.consumers,
      metrics,
      recorder,
      interrupted ? Math.min(timeoutMs, INTERRUPTED_DRAIN_MS) : timeoutMs,
      clients.reactorGroup,
      quietFor(plan.caps.redeliveryDelayMs),
    );
  }
  const consumerError = clients.consumers.find((c) => c.error !== null)?.error;
  if (consumerError) log.fail(consumerError);
}

/**
 * Writes each group's `drain` line, lets its consumers read until they have every acknowledged
 * message (or nothing more arrives), then writes `drain` with `complete: true`. A group that does
 * not catch up within the timeout, or lost a consumer, stays incomplete: the checker then does not
 * judge its losses. The reacting group (causal chains) completes first: until it has, it may still
 * send. A late group that started at `latest` is caught up once it has what was acknowledged after
 * it joined, and its drain is never marked complete: the checker would count what was sent before
 * it joined as lost (it does not take `from: "latest"` into account).
 */
export async function drain(
  groups: readonly GroupState[],
  consumers: readonly ConsumerLoop[],
  metrics: RunMetrics,
  recorder: HistoryRecorder | null,
  timeoutMs: number,
  reactorGroup = -1,
  quietMs = DRAIN_QUIET_MS,
): Promise<void> {
  const startMs = wallMs();
  for (const g of groups) recorder?.drain(g.name, false);
  const pending = new Set(groups);
  while (pending.size > 0 && wallMs() - startMs < timeoutMs) {
    await sleep(10);
    const now = wallMs();
    const reacting = [...pending].some((g) => g.index === reactorGroup);
    for (const g of pending) {
      if (reacting && g.index !== reactorGroup) continue;
      if (consumers.some((c) => c.plan.group === g && c.error !== null)) {
        pending.delete(g);
        continue;
      }
      const quietSinceMs = now - Math.max(g.lastDeliveryMs, startMs);
      const caughtUp = metrics.distinctTo(g.index) >= metrics.owedTo(g.index) - (g.joinedAckedMsgs ?? 0);
      if ((caughtUp && quietSinceMs >= DRAIN_SETTLE_MS) || quietSinceMs >= quietMs) {
        if (g.start !== "latest") recorder?.drain(g.name, true);
        pending.delete(g);
      }
    }
  }
}
