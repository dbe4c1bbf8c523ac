/**
 * One run: a workload point against one adapter, from connect to results.json.
 *
 *   refuse what the adapter cannot do (not-supported) → connect → fresh topics → consumers
 *   → producers for the duration (or message count) → drain: every group reads until caught up
 *   → close → checker verdict on the history → results.json
 *
 * Generic over the adapter contract: nothing here knows which broker it drives.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Adapter,
  type AdapterFactory,
  type AdapterSettings,
  type Capabilities,
  capabilitiesOf,
  type OrderScope,
  type StartPosition,
  unsupportedReason,
} from "../../adapters/contract.js";
import type { Expectation, Verdict } from "../../checkers/verdict.js";
import { wallMs } from "../../core/clock.js";
import { RESULTS_FORMAT, type RunResult, type RunStatus } from "../../core/results.js";
import { FaultScheduler, SpawnedBroker } from "../faults/index.js";
import { HistoryRecorder } from "../history/index.js";
import { type MetricsSummary, RunMetrics } from "../metrics/index.js";
import { FaultProxy } from "../proxy/index.js";
import type { Workload, WorkloadRun } from "../workload/index.js";
import { ConsumerLoop, type GroupState } from "./consumer-loop.js";
import { environment } from "./environment.js";
import { FaultTargets } from "./fault-targets.js";
import { filterSubscription, filterTopicNames } from "./filters.js";
import { KeyGenerator } from "./keys.js";
import { type LoopContext, type ProducerOutcome, runProducer } from "./producer-loop.js";

export const HISTORY_FILE = "history.jsonl";
export const RESULTS_FILE = "results.json";

/** Judges a history; the checkers' `checkHistoryFile` in production. */
export type HistoryChecker = (path: string, expect: Expectation) => Promise<Verdict>;

export interface RunProgress {
  readonly phase: "connecting" | "producing" | "draining" | "checking";
  readonly elapsedS: number;
  /** Seconds of producing planned (warmup included), or null for a message-count run. */
  readonly plannedS: number | null;
  readonly plannedMsgs: number | null;
  readonly sentMsgs: number;
  readonly ackedMsgs: number;
  readonly backlogMsgs: number;
}

export interface RunOptions {
  readonly run: WorkloadRun;
  readonly runId: string;
  readonly factory: AdapterFactory;
  /** The workload's `settings:` merged with `--set`, command line winning. */
  readonly settings: AdapterSettings;
  /** This run's own directory (created). */
  readonly dir: string;
  /** Record history.jsonl (and judge it). Off only for benchmarks. */
  readonly history: boolean;
  readonly check: HistoryChecker | null;
  readonly onProgress?: (p: RunProgress) => void;
}

/** A group whose consumers are this quiet after producing ended has caught up (or lost the rest). */
const DRAIN_QUIET_MS = 2000;
/** Caught up by count (delivered ≥ acknowledged) also needs this much quiet, for stragglers. */
const DRAIN_SETTLE_MS = 100;
/** Longest wait, after producing, for every group to be assigned its partitions before we start. */
const ASSIGN_WAIT_MS = 3000;
/** Quiet time after the last assignment before producing starts (longer than a pull's wait). */
const ASSIGN_SETTLE_MS = 300;
/** No acknowledgement for this long while producing aborts the run. */
const STALL_MS = 30_000;

export function resolveStart(w: Workload, caps: Capabilities): StartPosition {
  if (w.start !== "auto") return w.start;
  return caps.replay ? "earliest" : "latest";
}

export function resolveOrder(w: Workload, caps: Capabilities): OrderScope {
  return w.order === "auto" ? caps.ordering : w.order;
}

export function expectationOf(w: Workload, caps: Capabilities): Expectation {
  return { delivery: w.deliveryMode, order: resolveOrder(w, caps) };
}

const SECRET_KEY = /pass|secret|token|credential|key/i;

/** Settings for results.json: secret values and passwords inside URLs replaced. */
export function redactSettings(settings: AdapterSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(settings)) {
    out[k] = SECRET_KEY.test(k) ? "***" : v.replace(/\/\/([^:/@]+):([^@/]+)@/, "//$1:***@");
  }
  return out;
}

/**
 * The broker's host:port inside an adapter's url setting (`nats://h:4222`, `amqp://u:p@h:5672/vh`,
 * `h:9092`), and how to write the url with another address in its place; null when it has none.
 */
export function brokerAddress(url: string): {
  target: { host: string; port: number };
  rewrite: (a: { host: string; port: number }) => string;
} | null {
  const m = /^([a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?)?(\[[^\]]+\]|[^:/@,\s]+):(\d{1,5})(.*)$/i.exec(url.trim());
  if (m === null) return null;
  const prefix = m[1] ?? "";
  const rest = m[4] ?? "";
  return {
    target: { host: m[2]!.replace(/^\[|\]$/g, ""), port: Number(m[3]) },
    rewrite: (a) => `${prefix}${a.host}:${a.port}${rest}`,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function executeRun(options: RunOptions): Promise<RunResult> {
  const { run, factory } = options;
  const w = run.workload;
  let caps: Capabilities;
  let capsError: string | null = null;
  try {
    caps = capabilitiesOf(factory, options.settings);
  } catch (err) {
    caps = factory.capabilities;
    capsError = errorMessage(err);
  }
  const startedAt = new Date().toISOString();
  const start = resolveStart(w, caps);
  const expect = expectationOf(w, caps);
  const params: Record<string, unknown> = { ...w, start, order: expect.order };
  delete params["settings"];
  const base = {
    format: RESULTS_FORMAT,
    runId: options.runId,
    workload: { name: w.name, file: run.file, matrix: run.matrix, params },
    adapter: { name: factory.name, settings: redactSettings(options.settings), capabilities: caps },
    startedAt,
    warmupS: w.warmupS,
  } as const;
  const warnings: string[] = [];
  let scheduler: FaultScheduler | null = null;
  await mkdir(options.dir, { recursive: true });

  const finish = async (
    status: RunStatus,
    reason: string | null,
    rest: {
      versions?: Readonly<Record<string, string>>;
      summary?: MetricsSummary;
      verdict?: Verdict | null;
      history?: string | null;
      durationS?: number;
    } = {},
  ): Promise<RunResult> => {
    const s = rest.summary ?? emptySummary(w, groupNames(w));
    const result: RunResult = {
      ...base,
      environment: environment(rest.versions ?? {}),
      status,
      reason,
      durationS: rest.durationS ?? 0,
      counts: {
        sentMsgs: s.sentMsgs,
        ackedMsgs: s.ackedMsgs,
        failedMsgs: s.failedMsgs,
        unknownMsgs: s.unknownMsgs,
        deliveredMsgs: s.deliveredMsgs,
      },
      throughput: s.throughput,
      latency: s.latency,
      backlog: s.backlog,
      timeseries: s.timeseries,
      faults: scheduler?.records() ?? [],
      warnings,
      verdict: rest.verdict ?? null,
      history: rest.history ?? null,
    };
    await writeFile(join(options.dir, RESULTS_FILE), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  };

  const reason = unsupportedReason(caps, {
    delivery: w.delivery,
    mode: w.deliveryMode,
    groups: w.groups,
    consumersPerGroup: w.consumersPerGroup,
    partitions: w.partitions,
    start,
    filters: w.filters,
  });
  if (capsError !== null) return finish("error", capsError);
  if (reason !== null) return finish("not-supported", `${factory.name}: ${reason}`);
  if (w.lateGroup?.start === "earliest" && !caps.replay) {
    return finish("not-supported", `${factory.name}: a late group at earliest needs replay, which it lacks`);
  }

  if (w.server === "spawn" && factory.name !== "reference") {
    return finish("not-supported", `${factory.name}: server: spawn starts the reference broker only`);
  }

  options.onProgress?.(progress("connecting", 0, w, null));
  // What the faults need: the reference broker as a child server, a proxy in front of the broker.
  let server: SpawnedBroker | null = null;
  let proxy: FaultProxy | null = null;
  const stopInfrastructure = async () => {
    await proxy?.close().catch(() => {});
    await server?.stop().catch(() => {});
  };
  let settings = options.settings;
  let adapter: Adapter;
  try {
    if (w.server === "spawn") {
      server = await SpawnedBroker.start(w.serverFlush);
      settings = { ...settings, url: server.address };
    }
    if (w.faults.some((f) => f.kind.startsWith("network-"))) {
      const url = settings["url"] || factory.settings["url"]?.default || "";
      const at = brokerAddress(url);
      if (at === null) {
        throw new Error(
          `network faults need a broker over TCP with an address host:port in its url setting (got "${url}"); ` +
            "set --set url=... or, for the reference broker, server: spawn",
        );
      }
      proxy = await FaultProxy.start(at.target);
      settings = { ...settings, url: at.rewrite(proxy.address) };
    }
    adapter = await factory.connect(settings);
  } catch (err) {
    await stopInfrastructure();
    return finish("error", errorMessage(err));
  }
  let versions: Readonly<Record<string, string>> = {};
  try {
    versions = await adapter.versions();
  } catch {
    // versions are informational only
  }

  const nonce = randomBytes(3).toString("hex");
  const topics =
    w.filters > 0
      ? filterTopicNames(nonce, w.topics)
      : Array.from({ length: w.topics }, (_, i) => `bb-${nonce}-${i}`);
  const groups: GroupState[] = groupNames(w).map((name, index) => ({ name, index, lastDeliveryMs: 0 }));
  if (w.lateGroup !== null) groups[groups.length - 1]!.start = w.lateGroup.start;
  const historyPath = join(options.dir, HISTORY_FILE);
  const recorder = options.history ? new HistoryRecorder(historyPath) : null;
  recorder?.meta({ adapter: factory.name, workload: options.runId, model: caps.model, expect });

  const abort = { aborted: false };
  const producersTotal = w.topics * w.producersPerTopic;
  // The schedule starts after setup; metrics are re-created then (setup time is not run time).
  let metrics = new RunMetrics({
    startMs: wallMs(),
    warmupS: w.warmupS,
    messageBytes: w.messageSize,
    groups: [],
  });
  const ctx: LoopContext = {
    get metrics() {
      return metrics;
    },
    recorder,
    abort,
  };
  /** The live consumer loops, one per (group, consumer) slot; a crashed one is replaced in place. */
  const consumers: ConsumerLoop[] = [];
  const crashedLoops: ConsumerLoop[] = [];
  const producers: Awaited<ReturnType<Adapter["createProducer"]>>[] = [];
  let runError: string | null = null;
  let producingS = 0;
  const t0 = performance.now();
  let ticker: NodeJS.Timeout | null = null;
  // Producer i sends through `inFlight` lanes, each a history process: 1 … producers·inFlight.
  let nextProcess = producersTotal * w.inFlight + 1;
  const newProcess = () => nextProcess++;

  const reactorGroup = w.reactors === null ? -1 : w.reactors.group - 1;
  const createConsumerLoop = async (g: GroupState): Promise<ConsumerLoop> => {
    const process = newProcess();
    const react =
      g.index === reactorGroup && w.reactors !== null
        ? {
            producer: await adapter.createProducer({
              process,
              mode: w.deliveryMode,
              idempotent: w.deliveryMode === "exactly-once" && caps.idempotentProduce,
            }),
            fraction: w.reactors.fraction,
            maxSource: producersTotal * w.inFlight,
            topic: topics[0]!,
            messageSize: w.messageSize,
          }
        : undefined;
    // The adapter may report the first assignment before createConsumer returns.
    const holder: { loop: ConsumerLoop | null; assigned: boolean } = { loop: null, assigned: false };
    const consumer = await adapter.createConsumer({
      process,
      group: g.name,
      topics,
      ...filterSubscription(w.filters, nonce),
      delivery: w.delivery,
      mode: w.deliveryMode,
      start: g.start ?? start,
      prefetch: w.prefetch,
      onAssign: (assignment) => {
        if (holder.loop?.crashed) return;
        recorder?.assign(holder.loop?.process ?? process, g.name, assignment);
        holder.assigned = true;
        holder.loop?.onAssign();
      },
    });
    const loop = new ConsumerLoop(
      consumer,
      {
        process,
        nextProcess: newProcess,
        group: g,
        mode: w.deliveryMode,
        pollMax: w.pollMax,
        pollWaitMs: 100,
        ...(react ? { react } : {}),
      },
      ctx,
    );
    holder.loop = loop;
    if (holder.assigned) loop.onAssign();
    return loop;
  };

  /** The late group's consumers join at `atMs`; a `latest` group is then owed only what follows. */
  const joinLate = async (g: GroupState, count: number, atMs: number): Promise<void> => {
    await sleep(Math.max(0, atMs - wallMs()));
    if (abort.aborted) return;
    const loops: ConsumerLoop[] = [];
    for (let c = 0; c < count; c++) loops.push(await createConsumerLoop(g));
    for (const loop of loops) {
      consumers.push(loop);
      await loop.start();
    }
    await waitForAssignments(loops, caps);
    g.joinedAckedMsgs = g.start === "latest" ? metrics.ackedMsgs : 0;
    if (g.start === "latest") {
      warnings.push(
        `late group ${g.name} started at latest after ${g.joinedAckedMsgs} acknowledged message(s): ` +
          "its losses are not judged (the checker does not take from: latest into account)",
      );
    }
  };

  const targets = new FaultTargets(w.consumersPerGroup);
  const ackLoss = new Set<number>();
  // An outage (broker crash, connection reset) kills every client: consumers crash now, producer
  // lanes wait for it to end; then the harness reconnects and the clients go on as new processes.
  let outage: { readonly over: Promise<void>; readonly end: () => void } | null = null;
  const beginOutage = async (kill: () => Promise<void> | void): Promise<void> => {
    let end!: () => void;
    const over = new Promise<void>((resolve) => {
      end = resolve;
    });
    outage = { over, end };
    await kill();
    for (const [slot, loop] of consumers.entries()) {
      await loop.crash(0);
      crashedLoops.push(loop);
      warnings.push(`fault: consumer ${loop.process} (slot ${slot}) lost its broker and was replaced`);
    }
  };
  const endOutage = async (heal: () => Promise<void> | void): Promise<void> => {
    const current = outage;
    if (current === null) return;
    try {
      await heal();
      const old = adapter;
      adapter = await factory.connect(settings);
      void old.close().catch(() => {});
      for (const [i, p] of producers.entries()) {
        void p.close().catch(() => {});
        producers[i] = await adapter.createProducer({
          process: newProcess(),
          mode: w.deliveryMode,
          idempotent: w.deliveryMode === "exactly-once" && caps.idempotentProduce,
        });
      }
      for (const [slot, loop] of consumers.entries()) {
        const next = await createConsumerLoop(loop.plan.group);
        consumers[slot] = next;
        await next.start();
      }
      warnings.push(`fault: reconnected ${producers.length} producer(s) and ${consumers.length} consumer(s)`);
    } finally {
      outage = null;
      current.end();
    }
  };
  scheduler =
    w.faults.length === 0
      ? null
      : new FaultScheduler(
          w.faults,
          {
            start: async (f) => {
              if (f.kind === "producer-ack-loss") ackLoss.add(targets.producer(f.target));
              else if (f.kind === "consumer-crash") {
                const slot = targets.consumer(f.target, groups);
                const loop = consumers[slot]!;
                await loop.crash();
                crashedLoops.push(loop);
                warnings.push(
                  `fault: consumer ${loop.process} in ${loop.plan.group.name} crashed (${f.target})`,
                );
              } else if (f.kind === "consumer-stall") {
                const loop = consumers[targets.consumer(f.target, groups)]!;
                loop.stall(wallMs() + f.duration * 1000, f.slowRate ?? null);
              } else if (f.kind === "broker-crash") {
                await beginOutage(() => server!.kill());
              } else if (f.kind === "network-reset") {
                await beginOutage(() => proxy!.setReset(true));
              } else if (f.kind === "network-latency") {
                proxy!.setLatency(f.latencyMs ?? 0);
              } else if (f.kind === "network-bandwidth") {
                proxy!.setBandwidth(f.bytesPerSec ?? null);
              } else if (f.kind === "network-blackhole") {
                proxy!.setBlackhole(true);
              }
            },
            end: async (f) => {
              if (f.kind === "producer-ack-loss") ackLoss.delete(targets.producer(f.target));
              else if (f.kind === "consumer-crash") {
                const slot = targets.consumer(f.target, groups);
                if (!consumers[slot]!.crashed) return;
                // A new consumer process takes the crashed one's place.
                const loop = await createConsumerLoop(consumers[slot]!.plan.group);
                consumers[slot] = loop;
                await loop.start();
              } else if (f.kind === "consumer-stall") {
                consumers[targets.consumer(f.target, groups)]!.unstall();
              } else if (f.kind === "broker-crash") {
                await endOutage(() => server!.restart());
              } else if (f.kind === "network-reset") {
                await endOutage(() => proxy!.setReset(false));
              } else if (f.kind === "network-latency") {
                proxy!.setLatency(0);
              } else if (f.kind === "network-bandwidth") {
                proxy!.setBandwidth(null);
              } else if (f.kind === "network-blackhole") {
                proxy!.setBlackhole(false);
              }
            },
          },
          (f, phase) => recorder?.fault(f.kind, f.target, phase),
          (f, err) => {
            runError ??= `fault ${f.kind} on ${f.target} failed: ${errorMessage(err)}`;
          },
        );
  try {
    for (const name of topics) await adapter.createTopic({ name, partitions: w.partitions });

    // Consumers first, so that a group starting at `latest` sees every message.
    for (const g of groups) {
      if (g.start !== undefined) continue; // the late group joins while producing
      for (let c = 0; c < w.consumersPerGroup; c++) consumers.push(await createConsumerLoop(g));
    }
    for (let i = 0; i < producersTotal; i++) {
      producers.push(
        await adapter.createProducer({
          process: i * w.inFlight + 1,
          mode: w.deliveryMode,
          idempotent: w.deliveryMode === "exactly-once" && caps.idempotentProduce,
        }),
      );
    }
    // Pull consumers must poll to be assigned (as Kafka's do): start them all, then wait for
    // assignments where the adapter reports them.
    for (const c of consumers) await c.start();
    await waitForAssignments(consumers, caps);

    const startMs = wallMs() + 5;
    metrics = new RunMetrics({
      startMs,
      warmupS: w.warmupS,
      messageBytes: w.messageSize,
      groups: groups.map((g) => g.name),
    });
    const endMs = w.messages === null ? startMs + w.durationS * 1000 : Number.POSITIVE_INFINITY;
    const keyGens = Array.from(
      { length: producersTotal },
      (_, i) => new KeyGenerator(w.keys, w.keyCount, i * 7919),
    );
    const ratePerProducer = w.rate === "max" ? null : w.rate / producersTotal;
    const limits = splitEvenly(w.messages, producersTotal);

    let producing = true;
    let lastAcked = 0;
    let lastAckAt = performance.now();
    ticker = setInterval(() => {
      const now = wallMs();
      metrics.sample(now);
      const acked = metrics.ackedMsgs;
      if (acked !== lastAcked) {
        lastAcked = acked;
        lastAckAt = performance.now();
      } else if (!abort.aborted && producing && performance.now() - lastAckAt > STALL_MS) {
        abort.aborted = true;
        runError = `no message acknowledged for ${STALL_MS / 1000} s: the broker stalled`;
      }
      options.onProgress?.(
        progress(producing ? "producing" : "draining", (now - startMs) / 1000, w, metrics),
      );
    }, 250);
    ticker.unref();
    scheduler?.arm(startMs);
    const lateGroup = groups.find((g) => g.start !== undefined);
    const lateJoin =
      lateGroup === undefined || w.lateGroup === null
        ? null
        : joinLate(lateGroup, w.lateGroup.consumers, startMs + w.lateGroup.joinAtS * 1000).catch((err) => {
            runError ??= `the late group could not join: ${errorMessage(err)}`;
          });

    const outcomes: ProducerOutcome[] = await Promise.all(
      producers.map((p, i) =>
        runProducer(
          p,
          {
            lanes: Array.from({ length: w.inFlight }, (_, l) => i * w.inFlight + 1 + l),
            nextProcess: newProcess,
            ackLost: () => ackLoss.has(i),
            // An at-most-once producer never sends a message twice: a lost acknowledgement stays unknown.
            retryLostAcks: w.deliveryMode !== "at-most-once",
            recover: async () => {
              const current = outage;
              if (current === null) return null;
              await current.over;
              return producers[i] ?? null;
            },
            topic: topics[i % topics.length]!,
            ratePerSec: ratePerProducer,
            batchSize: w.batchSize,
            messageSize: w.messageSize,
            limit: limits[i] ?? null,
            startMs,
            endMs,
            keys: keyGens[i]!,
          },
          ctx,
        ),
      ),
    );
    producing = false;
    producingS = (wallMs() - startMs) / 1000;
    await lateJoin;
    // Faults end with producing: crashed consumers are replaced before the groups drain.
    await scheduler?.stop();
    for (const o of outcomes) warnings.push(...o.warnings);
    const producerErrors = outcomes.filter((o) => o.error !== null);
    if (scheduler !== null) await waitForAssignments(consumers, caps);
    if (producerErrors.length === producers.length && runError === null) {
      runError = `every producer failed: ${producerErrors[0]?.error}`;
    }

    if (!abort.aborted) {
      await drain(groups, consumers, metrics, recorder, w.drainTimeoutS * 1000, reactorGroup);
    }
    const consumerError = consumers.find((c) => c.error !== null)?.error;
    if (consumerError && runError === null) runError = consumerError;
  } catch (err) {
    runError ??= errorMessage(err);
    abort.aborted = true;
  } finally {
    if (ticker) clearInterval(ticker);
    await scheduler?.stop();
    metrics.sample(wallMs());
    for (const c of [...crashedLoops, ...consumers]) warnings.push(...c.warnings);
    await closeAll([
      ...consumers.map((c) => () => c.stop()),
      ...producers.map((p) => () => p.close()),
      ...topics.map((t) => () => adapter.deleteTopic(t)),
      () => adapter.close(),
    ]);
    await recorder?.close();
    await stopInfrastructure();
  }

  const summary = metrics.summary();
  const durationS = (performance.now() - t0) / 1000;
  let verdict: Verdict | null = null;
  if (recorder && options.check && runError === null) {
    options.onProgress?.(progress("checking", producingS, w, metrics));
    try {
      verdict = await options.check(historyPath, expect);
    } catch (err) {
      runError = `checking the history failed: ${errorMessage(err)}`;
    }
  }
  return finish(runError === null ? "completed" : "error", runError, {
    versions,
    summary,
    verdict,
    history: recorder ? HISTORY_FILE : null,
    durationS,
  });
}

/** The workload's groups g1 … gN, then `late` when it has a late-joining group. */
export function groupNames(w: Workload): string[] {
  const names = Array.from({ length: w.groups }, (_, i) => `g${i + 1}`);
  return w.lateGroup === null ? names : [...names, "late"];
}

function emptySummary(w: Workload, groups: readonly string[]): MetricsSummary {
  return new RunMetrics({ startMs: 0, warmupS: w.warmupS, messageBytes: w.messageSize, groups }).summary();
}

function progress(
  phase: RunProgress["phase"],
  elapsedS: number,
  w: Workload,
  m: RunMetrics | null,
): RunProgress {
  return {
    phase,
    elapsedS,
    plannedS: w.messages === null ? w.durationS : null,
    plannedMsgs: w.messages,
    sentMsgs: m?.sentMsgs ?? 0,
    ackedMsgs: m?.ackedMsgs ?? 0,
    backlogMsgs: m?.backlog() ?? 0,
  };
}

/** `total` split over `n` parts, the first ones taking the remainder; all null without a total. */
function splitEvenly(total: number | null, n: number): (number | null)[] {
  if (total === null) return Array.from({ length: n }, () => null);
  const each = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => each + (i < total % n ? 1 : 0));
}

async function waitForAssignments(consumers: readonly ConsumerLoop[], caps: Capabilities): Promise<void> {
  // Queue-model brokers have no assignment to wait for; log-model adapters report one per consumer.
  if (caps.model !== "log") return;
  const deadline = performance.now() + ASSIGN_WAIT_MS;
  while (performance.now() < deadline) {
    // Every consumer assigned, and no rebalance for a while: a consumer that has not yet seen the
    // last generation (it learns it at its next poll) would otherwise commit with a stale one.
    const lastAssign = Math.max(...consumers.map((c) => c.lastAssignMs));
    if (consumers.every((c) => c.assigned) && performance.now() - lastAssign >= ASSIGN_SETTLE_MS) return;
    await sleep(10);
  }
}

/**
 * After producing: writes each group's `drain` line, lets its consumers read until they have every
 * acknowledged message (or nothing more arrives), then writes `drain` with `complete: true`. A group
 * that does not catch up within the timeout, or lost a consumer, stays incomplete: the checker then
 * does not judge its losses. The reacting group (causal chains) completes first: until it has,
 * it may still send. A late group that started at `latest` is caught up once it has what was
 * acknowledged after it joined, and its drain is never marked complete: the checker would count
 * what was sent before it joined as lost (it does not take `from: "latest"` into account).
 */
async function drain(
  groups: readonly GroupState[],
  consumers: readonly ConsumerLoop[],
  metrics: RunMetrics,
  recorder: HistoryRecorder | null,
  timeoutMs: number,
  reactorGroup = -1,
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
      const quietMs = now - Math.max(g.lastDeliveryMs, startMs);
      const caughtUp = metrics.deliveredTo(g.index) >= metrics.ackedMsgs - (g.joinedAckedMsgs ?? 0);
      if ((caughtUp && quietMs >= DRAIN_SETTLE_MS) || quietMs >= DRAIN_QUIET_MS) {
        if (g.start !== "latest") recorder?.drain(g.name, true);
        pending.delete(g);
      }
    }
  }
}

/** Runs every cleanup step even when some fail (best effort: the run's outcome is already known). */
async function closeAll(steps: readonly (() => Promise<void>)[]): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch {
      // a broker that fails to clean up does not change what was measured
    }
  }
}
