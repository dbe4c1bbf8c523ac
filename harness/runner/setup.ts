/**
 * Phase 2, setup: start what the faults need (infrastructure), connect the adapter, then open the
 * run's session (recorder, metrics, clients, faults) and prepare it: fresh topics, the consumers,
 * the producers, and every consumer assigned before producing starts.
 *
 * The session holds the run's state, each part with one owner: the clients (RunClients), the
 * measurements (RunMetrics, created here once and started by the produce phase), the history
 * (HistoryRecorder), the outage state (Outage), the faults (FaultScheduler over RunFaultEnv).
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Adapter } from "../../adapters/contract.js";
import { wallMs } from "../../core/clock.js";
import { FaultScheduler, seededRandom } from "../faults/index.js";
import { HistoryRecorder, historyFileName } from "../history/index.js";
import { RunMetrics } from "../metrics/index.js";
import { RunClients } from "./clients.js";
import type { GroupState } from "./consumer-loop.js";
import { RunFaultEnv, tableActions } from "./fault-env.js";
import { tuneHarnessHeap } from "./heap-growth.js";
import { RunInfrastructure } from "./infrastructure.js";
import { progressOf, RunMonitor } from "./monitor.js";
import { runPrefix, topicNames } from "./names.js";
import { DEFAULT_HISTORY_ENCODING, type RunOptions } from "./options.js";
import { Outage } from "./outage.js";
import type { RunPlan } from "./plan.js";
import { predicatesMeta } from "./predicates.js";
import type { LoopContext } from "./producer-loop.js";
import { errorMessage, RunLog } from "./run-log.js";

export interface RunSession {
  readonly plan: RunPlan;
  readonly options: RunOptions;
  readonly infrastructure: RunInfrastructure;
  readonly versions: Readonly<Record<string, string>>;
  readonly recorder: HistoryRecorder | null;
  readonly historyPath: string;
  readonly metrics: RunMetrics;
  /** What the producer and consumer loops share: the metrics, the recorder, the abort flag. */
  readonly ctx: LoopContext & { readonly abort: { aborted: boolean; stopProducing: boolean } };
  readonly clients: RunClients;
  readonly outage: Outage;
  readonly faultEnv: RunFaultEnv;
  readonly faults: FaultScheduler | null;
  /** Samples the metrics, reports progress and watches for a stall while producing and draining. */
  readonly monitor: RunMonitor;
  readonly log: RunLog;
  /** performance.now() when the session opened (results.json durationS counts from here). */
  readonly openedAt: number;
  /** Whether producing is under way (set by the produce phase). */
  readonly producing: { active: boolean };
  /** The prefix of every name the run creates on the broker (`bb-<nonce>`). */
  readonly prefix: string;
  /** Set when the run was interrupted (RunOptions.signal): it winds down, keeping what it measured. */
  readonly interrupted: { at: number | null };
}

/** Starts the infrastructure and connects; an error here ends the run before anything is recorded. */
export async function connect(
  plan: RunPlan,
  options: RunOptions,
): Promise<{ infrastructure: RunInfrastructure; adapter: Adapter } | { error: string }> {
  let infrastructure: RunInfrastructure;
  try {
    infrastructure = await RunInfrastructure.start(plan.workload, options.factory, options.settings);
  } catch (err) {
    return { error: errorMessage(err) };
  }
  try {
    return { infrastructure, adapter: await options.factory.connect(infrastructure.settings) };
  } catch (err) {
    await infrastructure.stop();
    return { error: errorMessage(err) };
  }
}

/** The session around a connected adapter: nothing is created on the broker yet. */
export async function openSession(
  plan: RunPlan,
  options: RunOptions,
  infrastructure: RunInfrastructure,
  adapter: Adapter,
): Promise<RunSession> {
  const w = plan.workload;
  tuneHarnessHeap();
  let versions: Readonly<Record<string, string>> = {};
  try {
    versions = await adapter.versions();
  } catch {
    // versions are informational only
  }
  const segment = options.segment;
  const nonce = segment?.nonce ?? randomBytes(3).toString("hex");
  // With predicates, `filters` counts predicate subscriptions: plain topic names.
  const topics = topicNames(nonce, w.topics, w.predicates === null ? w.filters : 0);
  const groups: GroupState[] = plan.groups.map((name, index) => ({ name, index, lastDeliveryMs: 0 }));
  if (w.lateGroup !== null) groups[groups.length - 1]!.start = w.lateGroup.start;
  const historyPath = join(options.dir, historyFileName(options.historyEncoding ?? DEFAULT_HISTORY_ENCODING));
  const recorder = options.history ? new HistoryRecorder(historyPath) : null;
  // A segment's lines join the coordinator's history, which has the meta line.
  if (segment === undefined)
    recorder?.meta({
      adapter: options.factory.name,
      workload: options.runId,
      model: plan.caps.model,
      expect: plan.expect,
      ...(w.predicates === null ? {} : { predicates: predicatesMeta(w.predicates, plan.groups) }),
    });
  const openedAt = performance.now();
  // One metrics object for the run; the produce phase starts its clock (setup time is not run time).
  const metrics = new RunMetrics({
    startMs: wallMs(),
    warmupS: w.warmupS,
    messageBytes: w.messageSize,
    groups: plan.groups,
    keepIntervals: segment !== undefined,
  });
  const ctx = { metrics, recorder, abort: { aborted: false, stopProducing: false } };
  const log = new RunLog();
  const clients = new RunClients(adapter, {
    plan,
    factory: options.factory,
    settings: infrastructure.settings,
    topics,
    nonce,
    groups,
    ctx,
    ...(segment === undefined ? {} : { segment }),
    warn: (line) => log.warn(line),
    faultLog: (line) => log.fault(line),
  });
  const outage = new Outage(clients);
  const producing = { active: false };
  const faultEnv = new RunFaultEnv({
    clients,
    outage,
    infrastructure,
    shape: {
      groups: plan.groups.slice(0, w.groups),
      consumersPerGroup: w.consumersPerGroup,
      producers: clients.producerCount,
    },
    producing: () => producing.active,
    partitions: w.partitions,
    faultLog: (line) => log.fault(line),
    // node:random draws from the nemesis's seed, so the same seed strikes the same members.
    random: w.nemesis === null ? Math.random : seededRandom(w.nemesis.seed ?? 0),
  });
  const faults =
    w.faults.length === 0
      ? null
      : new FaultScheduler(
          w.faults,
          tableActions(faultEnv),
          (f, phase, detail) => recorder?.fault(f.kind, f.target, phase, detail),
          (f, err) => log.fail(`fault ${f.kind} on ${f.target} failed: ${errorMessage(err)}`),
        );
  const monitor = new RunMonitor({
    metrics,
    report: (phase, elapsedS) => options.onProgress?.(progressOf(phase, elapsedS, w, metrics)),
    onStall: (message) => {
      if (ctx.abort.aborted) return;
      ctx.abort.aborted = true;
      log.fail(message);
    },
    faulting: () => faults?.holding() ?? false,
  });
  return {
    plan,
    options,
    infrastructure,
    versions,
    recorder,
    historyPath,
    metrics,
    ctx,
    clients,
    outage,
    faultEnv,
    faults,
    monitor,
    log,
    openedAt,
    producing,
    prefix: runPrefix(nonce),
    interrupted: { at: null },
  };
}

/**
 * Wires the run's abort signal: on abort, producers stop at their next batch and the session is
 * marked interrupted. Returns the function that unwires it.
 */
export function watchInterrupt(session: RunSession): () => void {
  const signal = session.options.signal;
  if (signal === undefined) return () => {};
  const onAbort = () => {
    session.interrupted.at ??= performance.now();
    session.ctx.abort.stopProducing = true;
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

/** Topics, consumers, producers; returns once every consumer has its partitions. */
export async function prepare(session: RunSession): Promise<void> {
  const { clients } = session;
  // A segment's topics are the coordinator's, created once for every worker.
  if (session.options.segment === undefined) {
    await clients.createTopics();
    await clients.createOtherSubscriptions();
  }
  await clients.createConsumers();
  await clients.createProducers();
  await clients.startConsumers();
  await clients.waitForAssignments();
}
