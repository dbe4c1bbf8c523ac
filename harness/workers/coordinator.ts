/**
 * A distributed run: the coordinator's side of `brokerbench run --workers N / --worker HOST:PORT`.
 * The same phases as one process's run (harness/runner/run.ts), spread over workers:
 *
 *   plan      the runner's plan; what only one process can do is refused   segments.ts
 *   setup     workers reachable, clocks checked, topics created once here,
 *             each worker sets up its segment (consumers, producers)       client.ts, segment-run.ts
 *   produce   every worker from one start time on the coordinator's clock
 *   drain     the groups, judged over every worker's consumers at once
 *   teardown  workers finish; their histories join this run's; topics deleted
 *   verdict   the checkers judge the union; figures merged exactly        history-merge.ts, RunMetrics.merged
 *
 * A worker that cannot be reached, or whose connection drops, is *lost*: the run goes on with the
 * others, and its result is an error that names the worker and says the figures are partial.
 */

import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { wallMs } from "../../core/clock.js";
import type { RunResult, RunStatus, WorkerRecord } from "../../core/results.js";
import { HistoryRecorder, historyFileName } from "../history/index.js";
import { type MetricsSummary, RunMetrics } from "../metrics/index.js";
import {
  connect,
  DEFAULT_HISTORY_ENCODING,
  errorMessage,
  INTERRUPTED_DRAIN_MS,
  inconclusiveReason,
  planRun,
  quietFor,
  type RunOptions,
  type RunOutcome,
  type RunPlan,
  type RunSegment,
  runPrefix,
  sizeRefusal,
  topicNames,
  writeResult,
} from "../runner/index.js";
import { type WorkerClient, WorkerUnreachable } from "./client.js";
import { clockDecision } from "./clock-offset.js";
import { segmentBody } from "./history-merge.js";
import type { SegmentProgress, SegmentReport } from "./protocol.js";
import { distributedRefusal, planSegments } from "./segments.js";

export interface DistributedOptions {
  readonly workers: readonly WorkerClient[];
  /** How long to wait for a worker to become reachable (--worker-wait). */
  readonly workerWaitS: number;
  /** Largest clock uncertainty accepted (--clock-bound-ms). */
  readonly clockBoundMs: number;
}

/** How far ahead of now producing starts: every worker has its start request by then. */
const START_LEAD_MS = 300;
/** Caught up by count also needs this much quiet (as in drain.ts). */
const DRAIN_SETTLE_MS = 100;
const DRAIN_POLL_MS = 50;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Phase = NonNullable<WorkerRecord["lostWhile"]>;

/** One worker's part as the coordinator follows it. */
interface Part {
  readonly client: WorkerClient;
  readonly segment: RunSegment;
  id: string | null;
  status: WorkerRecord["status"];
  lostWhile?: Phase;
  reason: string | null;
  clock: { offsetMs: number; uncertaintyMs: number; correctionMs: number } | null;
  progress: SegmentProgress | null;
  report: SegmentReport | null;
}

export async function executeDistributedRun(options: RunOptions, d: DistributedOptions): Promise<RunResult> {
  const openedAt = performance.now();
  const elapsedS = () => (performance.now() - openedAt) / 1000;
  const { plan, refusal, warnings } = planRun(options);
  await mkdir(options.dir, { recursive: true });
  const w = plan.workload;
  if (refusal !== null)
    return writeResult(plan, options.dir, { status: refusal.status, reason: refusal.reason, durationS: 0 });
  const cannot = distributedRefusal(w, d.workers.length);
  if (cannot !== null)
    return writeResult(plan, options.dir, { status: "not-supported", reason: cannot, durationS: 0 });
  for (const line of warnings) options.onWarning?.(line);

  const nonce = randomBytes(3).toString("hex");
  const parts: Part[] = planSegments(w, d.workers.length, nonce).map((segment, k) => ({
    client: d.workers[k]!,
    segment,
    id: null,
    status: "completed",
    reason: null,
    clock: null,
    progress: null,
    report: null,
  }));
  const fail = (outcome: Omit<RunOutcome, "durationS" | "workers">) =>
    writeResult(plan, options.dir, { ...outcome, durationS: elapsedS(), workers: parts.map(recordOf) });

  options.onProgress?.({
    phase: "connecting",
    elapsedS: 0,
    plannedS: null,
    plannedMsgs: null,
    sentMsgs: 0,
    ackedMsgs: 0,
    backlogMsgs: 0,
  });
  const ready = await reachAndClock(parts, d);
  if (ready !== null) return fail({ status: "error", reason: ready, warnings });

  const connected = await connect(plan, options);
  if ("error" in connected) return fail({ status: "error", reason: connected.error, warnings });
  const { adapter, infrastructure } = connected;
  const tooLarge = sizeRefusal(w, adapter.capabilities, options.factory.name);
  if (tooLarge !== null) {
    await adapter.close().catch(() => {});
    await infrastructure.stop();
    return fail({ status: "not-supported", reason: tooLarge, warnings });
  }
  let versions: Readonly<Record<string, string>> = {};
  try {
    versions = await adapter.versions();
  } catch {
    // informational only
  }
  const topics = topicNames(nonce, w.topics, w.filters);
  const encoding = options.historyEncoding ?? DEFAULT_HISTORY_ENCODING;
  const historyPath = join(options.dir, historyFileName(encoding));
  const recorder = options.history ? new HistoryRecorder(historyPath) : null;
  recorder?.meta({
    adapter: options.factory.name,
    workload: options.runId,
    model: plan.caps.model,
    expect: plan.expect,
  });

  let error: string | null = null;
  let producingS = 0;
  let interrupted = false;
  /** When every worker starts producing (the coordinator's clock). */
  let startMs = 0;
  try {
    for (const name of topics) await adapter.createTopic({ name, partitions: w.partitions });
    error = await openSegments(parts, plan, options);
    if (error === null) {
      const onAbort = () => {
        interrupted = true;
        for (const p of live(parts)) void p.client.interrupt(p.id!).catch(() => {});
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      if (options.signal?.aborted) onAbort();
      try {
        // A moment ahead, so that every worker has its start request by then.
        startMs = wallMs() + START_LEAD_MS;
        await produceEverywhere(parts, plan, options, startMs);
        producingS = (wallMs() - startMs) / 1000;
        await drainEverywhere(parts, plan, recorder, interrupted);
      } finally {
        options.signal?.removeEventListener("abort", onAbort);
      }
    }
  } catch (err) {
    error = errorMessage(err);
  } finally {
    await finishEverywhere(parts);
    await recorder?.close();
    if (recorder !== null) await appendHistories(parts, historyPath, encoding);
    // What no history request took away (no history recorded, or the worker failed) is given up.
    for (const p of parts)
      if (p.id !== null && (recorder === null || p.report === null)) await p.client.discard(p.id);
    for (const name of topics) await adapter.deleteTopic(name).catch(() => {});
    await adapter.close().catch(() => {});
    await infrastructure.stop();
  }

  const reports = parts.flatMap((p) => (p.report === null ? [] : [p.report]));
  const summary: MetricsSummary = RunMetrics.merged(
    reports.map((r) => r.metrics),
    { startMs, warmupS: w.warmupS, messageBytes: w.messageSize, groups: plan.groups },
  ).summary();
  const log = reports.flatMap((r) => r.warnings.map((line) => line));
  const lost = parts.filter((p) => p.status === "lost");
  const failed = parts.filter((p) => p.status === "error");
  let status: RunStatus = "completed";
  let reason: string | null = null;
  let verdict = null;
  if (lost.length > 0) {
    status = "error";
    reason =
      `${lost.length === 1 ? "worker" : "workers"} lost: ${lost.map((p) => `${p.client.address} (while ${p.lostWhile}: ${p.reason})`).join("; ")}; ` +
      `the figures are partial, from ${parts.length - lost.length} of ${parts.length} workers, and there is no verdict ` +
      "(what the lost workers sent and received is missing from the history)";
  } else if (error !== null || failed.length > 0) {
    status = "error";
    reason = error ?? failed.map((p) => `worker ${p.client.address}: ${p.reason}`).join("; ");
  } else if (interrupted) {
    status = "interrupted";
    reason = `interrupted (Ctrl-C) after ${producingS.toFixed(1)} s of producing: what was measured is kept, without a verdict`;
  } else {
    if (recorder !== null && options.check !== null) {
      options.onProgress?.({
        phase: "checking",
        elapsedS: producingS,
        plannedS: null,
        plannedMsgs: null,
        sentMsgs: summary.sentMsgs,
        ackedMsgs: summary.ackedMsgs,
        backlogMsgs: 0,
      });
      try {
        verdict = await options.check(historyPath, plan.expect);
      } catch (err) {
        status = "error";
        reason = `checking the history failed: ${errorMessage(err)}`;
      }
    }
    const firstSendFailure = reports.find((r) => r.firstSendFailure !== null)?.firstSendFailure ?? null;
    const missing = inconclusiveReason(summary, w, firstSendFailure, verdict);
    if (status === "completed" && missing !== null) {
      status = "inconclusive";
      reason = missing;
      verdict = null;
    }
  }
  return writeResult(plan, options.dir, {
    status,
    reason,
    versions: Object.assign({}, ...reports.map((r) => r.versions), versions),
    summary,
    warnings: [...warnings, ...log],
    faultLog: reports.flatMap((r) => r.faultLog),
    brokerPrefix: runPrefix(nonce),
    verdict,
    history: recorder === null ? null : basename(historyPath),
    durationS: elapsedS(),
    workers: parts.map(recordOf),
  });
}

const live = (parts: readonly Part[]) => parts.filter((p) => p.status === "completed" && p.id !== null);

/** Marks the part lost (it could not be reached) or failed (it answered with an error). */
function setback(p: Part, phase: Phase, err: unknown): void {
  if (p.status !== "completed") return;
  p.status = err instanceof WorkerUnreachable ? "lost" : "error";
  if (p.status === "lost") p.lostWhile = phase;
  p.reason = errorMessage(err).replace(`worker ${p.client.address}: `, "");
}

/** Every worker reachable and its clock acceptable; or why the run cannot start. */
async function reachAndClock(parts: Part[], d: DistributedOptions): Promise<string | null> {
  await Promise.all(
    parts.map(async (p) => {
      try {
        await p.client.waitReady(d.workerWaitS);
        const o = await p.client.clockOffset();
        const decision = p.client.sameClock ? { correctionMs: 0 } : clockDecision(o, d.clockBoundMs);
        if ("refusal" in decision) {
          p.status = "error";
          p.reason = decision.refusal;
          return;
        }
        p.clock = {
          offsetMs: o.offsetMs,
          uncertaintyMs: o.uncertaintyMs,
          correctionMs: decision.correctionMs,
        };
      } catch (err) {
        setback(p, "connecting", err);
      }
    }),
  );
  const bad = parts.filter((p) => p.status !== "completed");
  return bad.length === 0 ? null : bad.map((p) => `worker ${p.client.address}: ${p.reason}`).join("; ");
}

/** Each worker sets up its segment; the first failure is the run's error (the others are discarded). */
async function openSegments(parts: Part[], plan: RunPlan, options: RunOptions): Promise<string | null> {
  await Promise.all(
    parts.map(async (p) => {
      try {
        p.id = await p.client.open({
          runId: options.runId,
          adapter: options.factory.name,
          settings: { ...options.settings },
          run: { ...options.run, workload: { ...plan.workload } } as never,
          segment: {
            ...p.segment,
            producers: [...p.segment.producers],
            consumerSlots: [...p.segment.consumerSlots],
          },
          history: options.history,
          historyEncoding: options.historyEncoding ?? DEFAULT_HISTORY_ENCODING,
          clockOffsetMs: p.clock?.correctionMs ?? 0,
        });
      } catch (err) {
        setback(p, "setup", err);
      }
    }),
  );
  const bad = parts.filter((p) => p.status !== "completed");
  return bad.length === 0 ? null : bad.map((p) => `worker ${p.client.address}: ${p.reason}`).join("; ");
}

/** Every worker produces from `startMs` (the coordinator's clock); progress is polled meanwhile. */
async function produceEverywhere(
  parts: Part[],
  plan: RunPlan,
  options: RunOptions,
  startMs: number,
): Promise<void> {
  let producing = true;
  const watch = (async () => {
    while (producing) {
      await sleep(1000);
      if (!producing) break;
      await pollProgress(parts, "producing");
      const totals = sumProgress(parts);
      options.onProgress?.({
        phase: "producing",
        elapsedS: (wallMs() - startMs) / 1000,
        plannedS: plan.workload.messages === null ? plan.workload.durationS : null,
        plannedMsgs: plan.workload.messages,
        sentMsgs: totals.sent,
        ackedMsgs: totals.acked,
        backlogMsgs: 0,
      });
    }
  })();
  await Promise.all(
    live(parts).map(async (p) => {
      try {
        await p.client.produce(p.id!, startMs);
      } catch (err) {
        setback(p, "producing", err);
      }
    }),
  );
  producing = false;
  await watch;
}

async function pollProgress(parts: Part[], phase: Phase): Promise<void> {
  await Promise.all(
    live(parts).map(async (p) => {
      try {
        p.progress = await p.client.progress(p.id!);
      } catch (err) {
        setback(p, phase, err);
      }
    }),
  );
}

/** Sums over every worker that reported progress (a lost one: its last report). */
function sumProgress(parts: readonly Part[]): { sent: number; acked: number } {
  let sent = 0;
  let acked = 0;
  for (const p of parts) {
    sent += p.progress?.sentMsgs ?? 0;
    acked += p.progress?.ackedMsgs ?? 0;
  }
  return { sent, acked };
}

/**
 * drain.ts's rule over every worker at once: a group is caught up when its consumers, on whichever
 * workers, hold as many distinct messages as were acknowledged (all workers' producers) and have
 * been quiet a moment; or when nothing arrived for the quiet time. Its drain line is complete then,
 * unless a consumer of it failed or a worker was lost (what it held is unknown).
 */
async function drainEverywhere(
  parts: Part[],
  plan: RunPlan,
  recorder: HistoryRecorder | null,
  interrupted: boolean,
): Promise<void> {
  const w = plan.workload;
  const timeoutMs = interrupted
    ? Math.min(w.drainTimeoutS * 1000, INTERRUPTED_DRAIN_MS)
    : w.drainTimeoutS * 1000;
  const quietMs = quietFor(plan.caps.redeliveryDelayMs);
  const startMs = wallMs();
  for (const g of plan.groups) recorder?.drain(g, false);
  const pending = new Set(plan.groups.map((_, g) => g));
  while (pending.size > 0 && wallMs() - startMs < timeoutMs) {
    await sleep(DRAIN_POLL_MS);
    await pollProgress(parts, "draining");
    const now = wallMs();
    const owed = sumProgress(parts).acked;
    for (const g of pending) {
      const reporting = parts.filter((p) => p.progress !== null);
      const distinct = reporting.reduce((a, p) => a + (p.progress!.distinctPerGroup[g] ?? 0), 0);
      const last = Math.max(startMs, ...reporting.map((p) => p.progress!.lastDeliveryMs[g] ?? 0));
      const failed = reporting.some((p) => p.progress!.consumerFailed[g] === true);
      if (failed || parts.some((p) => p.status === "lost")) {
        pending.delete(g);
        continue;
      }
      const quietSinceMs = now - last;
      if ((distinct >= owed && quietSinceMs >= DRAIN_SETTLE_MS) || quietSinceMs >= quietMs) {
        recorder?.drain(plan.groups[g]!, true);
        pending.delete(g);
      }
    }
  }
}

/** Every worker closes its clients and reports what it measured. */
async function finishEverywhere(parts: Part[]): Promise<void> {
  await Promise.all(
    live(parts).map(async (p) => {
      try {
        p.report = await p.client.finish(p.id!);
        if (p.report.error !== null) {
          p.status = "error";
          p.reason = p.report.error;
        }
      } catch (err) {
        setback(p, "finishing", err);
      }
    }),
  );
}

/** Appends each reporting worker's history to the run's (history-merge.ts). */
async function appendHistories(
  parts: Part[],
  path: string,
  encoding: RunOptions["historyEncoding"],
): Promise<void> {
  for (const p of parts) {
    if (p.report === null || p.id === null) continue;
    const out = createWriteStream(path, { flags: "a" });
    const body = segmentBody(encoding ?? DEFAULT_HISTORY_ENCODING, p.client.address);
    try {
      await Promise.all([p.client.history(p.id, body).then(() => body.end()), pipeline(body, out)]);
    } catch (err) {
      setback(p, "finishing", err);
      p.report = null;
    }
  }
}

function recordOf(p: Part): WorkerRecord {
  const m = p.report?.metrics;
  return {
    address: p.client.address,
    status: p.status,
    ...(p.lostWhile === undefined ? {} : { lostWhile: p.lostWhile }),
    reason: p.reason,
    producers: p.segment.producers,
    consumerSlots: p.segment.consumerSlots,
    processBase: p.segment.processBase,
    clockOffsetMs: p.clock === null ? null : round3(p.clock.offsetMs),
    clockUncertaintyMs: p.clock === null ? null : round3(p.clock.uncertaintyMs),
    clockCorrectionMs: p.clock === null ? null : round3(p.clock.correctionMs),
    sentMsgs: m?.sentMsgs ?? null,
    ackedMsgs: m?.ackedMsgs ?? null,
    deliveredMsgs: m === undefined ? null : m.deliveredPerGroup.reduce((a, b) => a + b, 0),
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
