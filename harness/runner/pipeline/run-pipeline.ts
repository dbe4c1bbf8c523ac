/**
 * A `pipeline` run (workload kind: pipeline): producers → input topic → a group of
 * `consumersPerGroup` processors keeping per-key count/sum/avg in `deliveryMode` → output topic →
 * a verifier group. Faults come from the same table and scheduler as any run (consumer-crash on
 * g1 strikes a processor mid-batch, producer-ack-loss, broker-crash with `server: spawn`); the
 * history is judged by the delivery checkers and by the computation checker; results.json gets
 * the pipeline's own figures (`pipeline`): events/s, end-to-end latency input event → output
 * update, and the computation's anomalies.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Adapter } from "../../../adapters/contract.js";
import { type ComputationVerdict, checkComputation } from "../../../checkers/computation.js";
import { wallMs } from "../../../core/clock.js";
import { readHistoryText } from "../../../core/history/compact-file.js";
import type { PipelineResult, RunResult } from "../../../core/results.js";
import {
  type BrokerControl,
  type ClusterControl,
  type ConsumerControl,
  type FaultEnv,
  FaultScheduler,
  type NetworkControl,
  type Recovery,
} from "../../faults/index.js";
import { HistoryRecorder, historyFileName } from "../../history/index.js";
import { newHistogram, percentiles, RunMetrics, toMicros } from "../../metrics/index.js";
import { RECOVERY_TIMEOUT_MS, tableActions } from "../fault-env.js";
import { RunInfrastructure } from "../infrastructure.js";
import { brokerGroupName, runPrefix } from "../names.js";
import { DEFAULT_HISTORY_ENCODING, type RunOptions } from "../options.js";
import { type RunPlan, sizeRefusal } from "../plan.js";
import { writeResult } from "../result-file.js";
import { errorMessage, RunLog } from "../run-log.js";
import { InputProducer, Verifier } from "./clients.js";
import { ProcessorSlot } from "./processor.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** History group names: the processors are g1 (fault targets `consumer:N`), then the verifier. */
export const PROCESSOR_GROUP = "g1";
export const VERIFIER_GROUP = "verifier";
/** Everyone quiet this long after producing (and the faults) ended: nothing more is coming. */
const QUIET_MS = 1500;

/** Why this adapter cannot run this pipeline, or null. */
export function pipelineRefusal(plan: RunPlan, adapter: string): string | null {
  const caps = plan.caps;
  if (caps.model !== "log") return `${adapter}: a pipeline needs the log model (offsets), not ${caps.model}`;
  if (!caps.pull) return `${adapter}: pipeline processors read by pull, which it lacks`;
  if (plan.workload.consumersPerGroup > 1 && !caps.queue)
    return `${adapter}: several processors in one group are not supported`;
  if (plan.workload.deliveryMode === "exactly-once" && caps.transactions !== true)
    return `${adapter}: an exactly-once pipeline needs transactions (output and input offsets committed together), which it lacks`;
  if (plan.workload.partitions > 1 && !caps.partitions)
    return `${adapter}: more than one partition is not supported`;
  const tooLarge = sizeRefusal(plan.workload, caps, adapter);
  if (tooLarge !== null) return tooLarge;
  if (plan.workload.server === "spawn" && adapter !== "reference")
    return `${adapter}: server: spawn starts the reference broker only`;
  return null;
}

export async function executePipelineRun(plan: RunPlan, options: RunOptions): Promise<RunResult> {
  const w = plan.workload;
  const startedAt = performance.now();
  const elapsedS = () => (performance.now() - startedAt) / 1000;
  await mkdir(options.dir, { recursive: true });
  let infrastructure: RunInfrastructure;
  let adapter: Adapter;
  try {
    infrastructure = await RunInfrastructure.start(w, options.factory, options.settings);
  } catch (err) {
    return writeResult(plan, options.dir, {
      status: "error",
      reason: errorMessage(err),
      durationS: elapsedS(),
    });
  }
  try {
    adapter = await options.factory.connect(infrastructure.settings);
  } catch (err) {
    await infrastructure.stop();
    return writeResult(plan, options.dir, {
      status: "error",
      reason: errorMessage(err),
      durationS: elapsedS(),
    });
  }
  if (
    adapter.readPartition === undefined ||
    (w.deliveryMode === "exactly-once" && !adapter.createTransactionalProducer)
  ) {
    await adapter.close().catch(() => {});
    await infrastructure.stop();
    return writeResult(plan, options.dir, {
      status: "not-supported",
      reason: `${options.factory.name}: a pipeline restores processor state by reading an output partition to its end, which this adapter cannot`,
      durationS: elapsedS(),
    });
  }
  let versions: Readonly<Record<string, string>> = {};
  try {
    versions = await adapter.versions();
  } catch {
    // informational only
  }

  const nonce = randomBytes(3).toString("hex");
  const prefix = runPrefix(nonce);
  const topics = {
    input: `${prefix}-in`,
    output: `${prefix}-out`,
    group: brokerGroupName(nonce, "proc"),
    historyGroup: PROCESSOR_GROUP,
    taskPrefix: `${prefix}-task`,
  };
  const historyPath = join(options.dir, historyFileName(options.historyEncoding ?? DEFAULT_HISTORY_ENCODING));
  const recorder = options.history ? new HistoryRecorder(historyPath) : null;
  const pipelineMeta = {
    input: topics.input,
    output: topics.output,
    verifier: VERIFIER_GROUP,
    mode: w.deliveryMode,
  };
  recorder?.meta({
    adapter: options.factory.name,
    workload: options.runId,
    model: plan.caps.model,
    expect: plan.expect,
    pipeline: pipelineMeta,
  });
  const log = new RunLog();
  // The messaging figures, over the pipeline: published = input events, consumed = the
  // verifier's update reads (the processors' reads are in pipeline.processedEvents), end to end =
  // input event sent → its first update read.
  const metrics = new RunMetrics({
    startMs: wallMs(),
    warmupS: w.warmupS,
    messageBytes: w.messageSize,
    groups: [VERIFIER_GROUP],
  });
  let processNo = 0;
  const nextProcess = () => ++processNo;
  let committedEvents = 0;
  let lastCommitMs = 0;
  const keys = Array.from({ length: w.keyCount }, (_, i) => `k${i}`);
  const producers = Array.from(
    { length: w.producersPerTopic },
    () =>
      new InputProducer({
        adapter,
        recorder,
        topic: topics.input,
        keys,
        random: w.keys === "random",
        batchSize: w.batchSize,
        messageSize: w.messageSize,
        rate: typeof w.rate === "number" ? w.rate / w.producersPerTopic : null,
        idempotent: w.deliveryMode === "exactly-once",
        metrics,
        nextProcess,
        warn: (line) => log.warn(line),
      }),
  );
  const processors = Array.from(
    { length: w.consumersPerGroup },
    () =>
      new ProcessorSlot({
        adapter,
        recorder,
        mode: w.deliveryMode,
        topics,
        messageSize: w.messageSize,
        pollMax: w.pollMax,
        nextProcess,
        onCommitted: (n) => {
          committedEvents += n;
          lastCommitMs = wallMs();
        },
        warn: (line) => log.warn(line),
        restoreTimeoutMs: 30_000,
      }),
  );
  const verifier = new Verifier(
    adapter,
    recorder,
    topics.output,
    brokerGroupName(nonce, "verify"),
    VERIFIER_GROUP,
    nextProcess,
    (line) => log.warn(line),
    metrics,
  );

  const producing = { active: false };
  const env = new PipelineFaultEnv(
    processors,
    producers,
    verifier,
    infrastructure,
    () => producing.active,
    () => lastCommitMs,
  );
  const faults =
    w.faults.length === 0
      ? null
      : new FaultScheduler(
          w.faults,
          tableActions(env),
          (f, phase, detail) => recorder?.fault(f.kind, f.target, phase, detail),
          (f, err) => log.fail(`fault ${f.kind} on ${f.target} failed: ${errorMessage(err)}`),
        );

  let producingStartMs = 0;
  let producingEndMs = 0;
  let drained = false;
  try {
    await adapter.createTopic({ name: topics.input, partitions: w.partitions });
    await adapter.createTopic({ name: topics.output, partitions: w.partitions });
    for (const p of processors) await p.start();
    await verifier.start();
    await stableGroup(processors, w.partitions, 15_000);
    producingStartMs = wallMs();
    metrics.begin(producingStartMs);
    producing.active = true;
    faults?.arm(producingStartMs, w.messages === null ? producingStartMs + w.durationS * 1000 : null);
    const perProducer = w.messages === null ? null : Math.ceil(w.messages / producers.length);
    const endMs = producingStartMs + w.durationS * 1000;
    const signal = options.signal;
    await Promise.all(
      producers.map((p) =>
        p.run(
          (sent) =>
            signal?.aborted === true || (perProducer === null ? wallMs() >= endMs : sent >= perProducer),
          producingStartMs,
        ),
      ),
    );
    producingEndMs = wallMs();
    producing.active = false;
    // Active faults end now (crashed processors come back), so the pipeline can drain.
    await faults?.stop();
    // Drain: until every acknowledged input has an update read, or everyone has been quiet.
    recorder?.drain(PROCESSOR_GROUP, false);
    recorder?.drain(VERIFIER_GROUP, false);
    const acked = new Set<string>();
    for (const p of producers) for (const id of p.ackedIds) acked.add(id);
    const deadline = wallMs() + w.drainTimeoutS * 1000;
    for (;;) {
      const now = wallMs();
      const allCovered = [...acked].every((id) => verifier.covered.has(id));
      // Nothing more is coming: the processors own every partition and have found nothing to
      // read for a while, and nothing was committed or read meanwhile.
      const idle = processors.map((p) => p.idleSince());
      const owned = processors.flatMap((p) => [...p.owned()]);
      const quiet =
        idle.every((t) => t > 0 && Date.now() - t > QUIET_MS) &&
        new Set(owned).size === w.partitions &&
        now - Math.max(verifier.lastReadMs, lastCommitMs, producingEndMs) > QUIET_MS;
      if ((allCovered && now - verifier.lastReadMs > 200) || quiet) {
        drained = true;
        break;
      }
      if (now > deadline || options.signal?.aborted) break;
      await sleep(50);
    }
    if (drained) {
      recorder?.drain(PROCESSOR_GROUP, true);
      recorder?.drain(VERIFIER_GROUP, true);
    }
  } catch (err) {
    log.fail(errorMessage(err));
  } finally {
    await faults?.stop();
    for (const p of processors) await p.stop().catch(() => {});
    await verifier.stop().catch(() => {});
    for (const p of producers) await p.close();
    await adapter.deleteTopic(topics.input).catch(() => {});
    await adapter.deleteTopic(topics.output).catch(() => {});
    await adapter.close().catch(() => {});
    metrics.sample(wallMs());
    await recorder?.close();
    await infrastructure.stop();
  }

  // Figures: events whose update was read, over the time from the end of warmup to the last one.
  const warmEndMs = producingStartMs + w.warmupS * 1000;
  const h = newHistogram();
  let measured = 0;
  let lastMs = warmEndMs;
  for (const l of verifier.latenciesMs) {
    if (l.inputSentMs < warmEndMs) continue;
    h.recordValue(toMicros(l.ms));
    measured++;
    if (l.atMs > lastMs) lastMs = l.atMs;
  }
  const acked = producers.reduce((n, p) => n + p.acked, 0);
  let computation: ComputationVerdict | null = null;
  let verdict = null;
  if (recorder !== null && log.error === null && options.signal?.aborted !== true) {
    try {
      computation = checkComputation(readHistoryText(historyPath).split("\n"));
      verdict = options.check === null ? null : await options.check(historyPath, plan.expect);
    } catch (err) {
      log.fail(`checking the history: ${errorMessage(err)}`);
    }
  }
  const lat = percentiles(h);
  const pipeline: PipelineResult = {
    mode: w.deliveryMode,
    processors: w.consumersPerGroup,
    stateRestoredFrom: "output",
    ackedEvents: acked,
    processedEvents: committedEvents,
    updatesRead: verifier.covered.size,
    eventsPerSec: lastMs > warmEndMs ? measured / ((lastMs - warmEndMs) / 1000) : 0,
    endToEnd: lat,
    drained,
    restarts: processors.reduce((n, p) => n + p.restarts, 0),
    computation:
      computation === null
        ? null
        : {
            valid: computation.valid,
            forbidden: [...computation.forbidden],
            counts: { ...computation.counts },
            witnesses: Object.fromEntries(
              Object.entries(computation.witnesses).map(([a, ws]) => [a, ws.map((x) => x.message)]),
            ),
            inputs: computation.inputs,
            outputs: computation.outputs,
            excessEvents: computation.excessEvents,
            missingEvents: computation.missingEvents,
          },
  };
  const status = log.error !== null ? "error" : options.signal?.aborted ? "interrupted" : "completed";
  const valid = (verdict?.valid ?? true) && (computation?.valid ?? true);
  const result = await writeResult(plan, options.dir, {
    status,
    reason: log.error ?? (status === "interrupted" ? "interrupted (Ctrl-C)" : null),
    versions,
    summary: metrics.summary(),
    faults: faults?.records() ?? [],
    skippedFaults: faults?.skipped() ?? [],
    warnings: log.warnings,
    faultLog: log.faultLog,
    brokerPrefix: prefix,
    verdict: verdict === null ? null : { ...verdict, valid },
    history: recorder ? basename(historyPath) : null,
    durationS: elapsedS(),
    pipeline,
  });
  return result;
}

/**
 * Waits until the processors own every input partition between them, each once, unchanged for a
 * moment: producing into a group still rebalancing would fence its first commits.
 */
async function stableGroup(
  processors: readonly ProcessorSlot[],
  partitions: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = wallMs() + timeoutMs;
  let since = 0;
  let last = "";
  while (wallMs() < deadline) {
    const owned = processors.map((p) => [...p.owned()].sort().join(","));
    const all = processors.flatMap((p) => [...p.owned()]);
    const now = owned.join("|");
    if (all.length === partitions && new Set(all).size === partitions) {
      if (now !== last) since = wallMs();
      else if (wallMs() - since > 300) return;
    }
    last = now;
    await sleep(20);
  }
  throw new Error(
    `the processors did not settle on the ${partitions} input partitions within ${timeoutMs / 1000} s`,
  );
}

/** The fault table's view of a pipeline run: processors are group g1's consumers. */
class PipelineFaultEnv implements FaultEnv {
  private healedMs = 0;
  constructor(
    private readonly processors: readonly ProcessorSlot[],
    private readonly producers: readonly InputProducer[],
    private readonly verifier: Verifier,
    private readonly infrastructure: RunInfrastructure,
    private readonly producing: () => boolean,
    private readonly lastCommitMs: () => number,
  ) {}

  consumer(target: { readonly group: string; readonly index: number }): ConsumerControl {
    const slot = this.processors[target.index];
    if (target.group !== PROCESSOR_GROUP || slot === undefined)
      throw new Error(
        `a pipeline's fault targets are its processors: group:g1/consumer:0 … ${this.processors.length - 1}`,
      );
    return {
      crash: () => slot.crash(),
      replace: () => slot.replace(),
      stall: () => {
        throw new Error("consumer-stall is not supported in pipeline runs");
      },
      unstall: () => {},
    };
  }

  setAckLoss(target: { readonly index: number }, lost: boolean): void {
    const p = this.producers[target.index];
    if (p !== undefined) p.ackLoss = lost;
  }

  broker(): BrokerControl {
    const broker = this.infrastructure.broker;
    if (broker === null) throw new Error("this run started no broker process (server: spawn)");
    return broker;
  }

  cluster(): ClusterControl {
    // Cluster member faults need the main runner's reconnect machinery (fault-env.ts).
    throw new Error("a pipeline run does not start a cluster (serverCluster is for plain runs)");
  }

  network(): NetworkControl {
    const network = this.infrastructure.network;
    if (network === null) throw new Error("this run has no proxy in front of the broker");
    return network;
  }

  async beginOutage(cut: () => Promise<void>): Promise<void> {
    await cut();
    // Every client was cut off: the processors and the verifier die with their connections.
    await Promise.all(this.processors.map((p) => p.crash()));
    await this.verifier.kill();
  }

  async endOutage(heal: () => Promise<void>): Promise<void> {
    await heal();
    this.healedMs = wallMs();
    for (const p of this.processors) await p.replace();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.verifier.start();
        break;
      } catch (err) {
        if (attempt >= 10) throw err;
        await sleep(250 * attempt);
      }
    }
  }

  async awaitService(timeoutMs: number): Promise<Recovery | null> {
    if (this.healedMs === 0) return null;
    const healedMs = this.healedMs;
    this.healedMs = 0;
    const deadline = wallMs() + Math.min(timeoutMs, RECOVERY_TIMEOUT_MS);
    while (wallMs() < deadline && this.producing()) {
      if (this.lastCommitMs() > healedMs) return { healedMs, servedMs: this.lastCommitMs() };
      await sleep(5);
    }
    return { healedMs, servedMs: null };
  }
}
