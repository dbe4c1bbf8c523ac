/**
 * One producer: up to `lanes.length` batches outstanding at a time, over one adapter Producer.
 *
 * HISTORY.md allows one outstanding invoke per process, so each outstanding batch travels in its
 * own *lane*: a history process of its own, with its own payload producer id and sequences (ids
 * `${lane}-${seq}`). The lanes share one schedule: at a fixed rate batch k of the producer is due at
 * start + k·batchSize/rate and the next free lane takes it; a producer that falls behind never skips
 * a slot of the measured window, so latency measured from the intended time includes the wait (no
 * coordinated omission). The one exception is the warmup's end: warmup is there for the client and
 * the broker to settle (a fresh process compiles its code, a new connection and partition start
 * cold), and a producer still behind schedule when it ends skips the warmup slots it has not sent
 * yet, so that the measured window starts on schedule instead of inheriting a delay that the
 * figures would then show as its first second's latency. How far behind it was is reported
 * (`RunMetrics.onWarmupDelayDropped`, results.json `counts.warmupDelayDroppedMs`). A producer that
 * cannot keep the rate falls behind again at once, and the figures show it.
 * At `max` each lane sends its next batch as soon as its previous one is acknowledged.
 */
import { type OutgoingMessage, type Producer, SendError } from "../../adapters/contract.js";
import { wallMs } from "../../core/clock.js";
import { messageId } from "../../core/payload.js";
import type { Predicate } from "../../core/predicates.js";
import type { HistoryRecorder, SentBatch } from "../history/index.js";
import type { RunMetrics } from "../metrics/index.js";
import type { KeyGenerator } from "./keys.js";
import { BatchEncoder } from "./payloads.js";
import type { PropertyCycle } from "./predicates.js";

export interface ProducerPlan {
  /** History process ids of the lanes (one per batch that may be outstanding); also payload producer ids. */
  readonly lanes: readonly number[];
  readonly topic: string;
  /** Messages per second for this producer, or null for as fast as acknowledged. */
  readonly ratePerSec: number | null;
  readonly batchSize: number;
  readonly messageSize: number;
  /** Messages this producer sends, or null to send until `endMs`. */
  readonly limit: number | null;
  readonly startMs: number;
  /** When the warmup ends (wall-clock ms), or null without one: see the header on skipped slots. */
  readonly warmupEndMs: number | null;
  /** When producing ends (wall-clock ms); read before each batch, as it may move (backlog mode). */
  readonly endMs: () => number;
  readonly keys: KeyGenerator;
  /** Message properties by sequence number (workload `predicates`), or null. */
  readonly properties?: PropertyCycle | null;
  /** Each group's predicate, in group order (with `properties`): what each group is owed. */
  readonly groupPredicates?: readonly Predicate[];
  /** Hands out a fresh process id (unique in the run), for a lane whose process is spent. */
  readonly nextProcess: () => number;
  /** True while this producer's acknowledgements are to be treated as lost (fault injection). */
  readonly ackLost?: () => boolean;
  /** Give each message its id (`OutgoingMessage.id`), for brokers that deduplicate by id (exactly-once). */
  readonly messageIds?: boolean;
  /** Whether a batch whose acknowledgement was lost is sent again (at-least/exactly-once) or left unknown (at-most-once). */
  readonly retryLostAcks?: boolean;
  /**
   * After a failed send: during an outage the harness injected (broker crash, connection reset),
   * resolves once it is over with the producer to go on with (the lane continues as a new
   * process); otherwise null and the failure takes its usual course.
   */
  readonly recover?: () => Promise<Producer | null>;
}

export interface LoopContext {
  readonly metrics: RunMetrics;
  readonly recorder: HistoryRecorder | null;
  /**
   * `aborted`: the run is aborted, loops finish their current operation and return.
   * `stopProducing`: the run was interrupted; producers stop, consumers read on (a brief drain).
   */
  readonly abort: { aborted: boolean; stopProducing?: boolean };
}

export interface ProducerOutcome {
  /** The producer's first lane. */
  readonly process: number;
  /** Set when every lane stopped on an error (after an unknown outcome a lane's process id is spent). */
  readonly error: string | null;
  /** One line per lane that stopped early, for results.json warnings. */
  readonly warnings: readonly string[];
  /** What injected faults did to it (acknowledgements lost), for results.json faultLog. */
  readonly faultLog: readonly string[];
  /** The error of its first failed send (the broker's reason), or null. */
  readonly firstFailure: string | null;
}

/** What the lanes of one producer report, shared by them. */
interface LaneNotes {
  readonly warnings: string[];
  readonly faultLog: string[];
  firstFailure: string | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** A loop whose sends complete synchronously must still let timers and I/O run this often. */
const YIELD_EVERY_MS = 2;
/** Pause between retries of a batch whose acknowledgement was lost. */
const RETRY_BACKOFF_MS = 20;

interface Schedule {
  /** Next slot of the rate schedule. */
  k: number;
  /** Messages claimed by the lanes so far. */
  claimed: number;
}

export async function runProducer(
  producer: Producer,
  plan: ProducerPlan,
  ctx: LoopContext,
): Promise<ProducerOutcome> {
  const schedule: Schedule = { k: 0, claimed: 0 };
  const notes: LaneNotes = { warnings: [], faultLog: [], firstFailure: null };
  const errors = await Promise.all(
    plan.lanes.map((lane) => runLane(producer, plan, lane, schedule, ctx, notes)),
  );
  const failed = errors.filter((e): e is string => e !== null);
  return {
    process: plan.lanes[0] ?? 0,
    error: failed.length === plan.lanes.length ? (failed[0] ?? null) : null,
    warnings: notes.warnings,
    faultLog: notes.faultLog,
    firstFailure: notes.firstFailure,
  };
}

/** One lane; resolves with why it stopped early, or null. */
async function runLane(
  initialProducer: Producer,
  plan: ProducerPlan,
  source: number,
  schedule: Schedule,
  ctx: LoopContext,
  notes: LaneNotes,
): Promise<string | null> {
  const { metrics, recorder, abort } = ctx;
  const encoder = new BatchEncoder(plan.messageSize, source, plan.batchSize);
  const batchIntervalMs = plan.ratePerSec === null ? 0 : (plan.batchSize * 1000) / plan.ratePerSec;
  let producer = initialProducer;
  let process = source;
  let seq = 0;
  // Nothing goes out before the run's clock starts: at max rate a lane would otherwise send at once,
  // and what it sent before startMs would count as warmup even with warmupS 0.
  for (let wait = plan.startMs - wallMs(); wait > 0; wait = plan.startMs - wallMs())
    await sleep(Math.ceil(wait));
  let lastYield = performance.now();
  while (!abort.aborted && abort.stopProducing !== true) {
    const count =
      plan.limit === null ? plan.batchSize : Math.min(plan.batchSize, plan.limit - schedule.claimed);
    if (count <= 0) break;
    let intendedMs: number;
    if (batchIntervalMs > 0) {
      intendedMs = plan.startMs + schedule.k * batchIntervalMs;
      if (plan.warmupEndMs !== null && intendedMs < plan.warmupEndMs) {
        const now = wallMs();
        if (now >= plan.warmupEndMs) {
          schedule.k = Math.ceil((plan.warmupEndMs - plan.startMs) / batchIntervalMs);
          metrics.onWarmupDelayDropped(now - intendedMs);
          intendedMs = plan.startMs + schedule.k * batchIntervalMs;
        }
      }
      if (plan.limit === null && intendedMs >= plan.endMs()) break;
      schedule.k++;
      schedule.claimed += count;
      // Timers have 1 ms resolution: sleep while a whole millisecond remains, then send. A batch
      // that goes out (less than 1 ms) before its slot takes its actual send time as intended
      // time, so latency is never understated; the schedule itself stays on its grid.
      for (let wait = intendedMs - wallMs(); wait >= 1; wait = intendedMs - wallMs()) {
        await sleep(Math.floor(wait));
        lastYield = performance.now();
      }
    } else {
      intendedMs = wallMs();
      if (plan.limit === null && intendedMs >= plan.endMs()) break;
      schedule.claimed += count;
    }
    const keys = plan.keys.batch(count);
    const sentMs = wallMs();
    if (intendedMs > sentMs) intendedMs = sentMs;
    const payloads = encoder.encode(count, seq, intendedMs, sentMs);
    const messages = new Array<OutgoingMessage>(count);
    const cycle = plan.properties ?? null;
    const props = cycle === null ? null : new Array<string>(count);
    const topic = plan.topic;
    for (let i = 0; i < count; i++) {
      const key = keys === null ? null : keys[i]!;
      const payload = payloads[i]!;
      // Literals for each shape, not a spread of the optional fields: this runs once per message
      // (what spreads cost on such paths: the reference protocol's api.ts, at NO_ERROR).
      if (cycle === null) {
        messages[i] = plan.messageIds
          ? { topic, key, payload, id: messageId(source, seq + i) }
          : { topic, key, payload };
      } else {
        const p = cycle.of(seq + i);
        props![i] = p.json;
        messages[i] = plan.messageIds
          ? { topic, key, payload, id: messageId(source, seq + i), properties: p.properties }
          : { topic, key, payload, properties: p.properties };
      }
    }
    let batch: SentBatch = { process, source, topic: plan.topic, firstSeq: seq, count, keys, props };
    metrics.onSending(count);
    recorder?.sendInvoke(batch);
    seq += count;
    try {
      let acks = await producer.send(messages);
      if (plan.ackLost?.() && !abort.aborted && plan.retryLostAcks === false) {
        // At-most-once: the producer never retries, so the batch's outcome stays unknown (`info`,
        // the process is spent) and the lane goes on with the next batch as a new process.
        recorder?.sendFailed(
          batch,
          false,
          "acknowledgement lost (fault injection: producer-ack-loss), not retried",
        );
        metrics.onSendFailed(count, false);
        notes.faultLog.push(
          `producer ${source}: acknowledgement lost for ${count} message(s) as process ${process}`,
        );
        process = plan.nextProcess();
        continue;
      }
      // Fault injection: the acknowledgement is lost. The outcome is unknown to the producer
      // (`info`, the process is spent); it retries the same messages as a new process, through
      // the adapter's retry where it has one (an idempotent producer reuses its sequence numbers).
      while (plan.ackLost?.() && !abort.aborted) {
        recorder?.sendFailed(batch, false, "acknowledgement lost (fault injection: producer-ack-loss)");
        notes.faultLog.push(
          `producer ${source}: acknowledgement lost for ${count} message(s) as process ${process}`,
        );
        process = plan.nextProcess();
        batch = { ...batch, process };
        await sleep(RETRY_BACKOFF_MS);
        recorder?.sendInvoke(batch);
        acks = await (producer.retry ? producer.retry(messages) : producer.send(messages));
      }
      metrics.onAcked(count, intendedMs, sentMs, wallMs());
      if (cycle !== null && plan.groupPredicates !== undefined) {
        const owed = plan.groupPredicates.map(() => 0);
        cycle.owed(plan.groupPredicates, batch.firstSeq, count, owed);
        for (let g = 0; g < owed.length; g++) metrics.onOwed(g, owed[g]!);
      }
      recorder?.sendOk(batch, acks);
    } catch (err) {
      const definite = err instanceof SendError && err.definite;
      const message = err instanceof Error ? err.message : String(err);
      metrics.onSendFailed(count, definite);
      recorder?.sendFailed(batch, definite, message);
      notes.firstFailure ??= message;
      const next = plan.recover ? await plan.recover() : null;
      if (next !== null) {
        // The outage is over: a new client, so a new process (HISTORY.md: an `info` spends the id).
        producer = next;
        process = plan.nextProcess();
        continue;
      }
      // An unknown outcome spends this process id (HISTORY.md): the lane stops.
      if (!definite) {
        notes.warnings.push(
          `producer ${source}: lane process ${process} stopped after an unknown send outcome: ${message}`,
        );
        return message;
      }
    }
    const now = performance.now();
    if (now - lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  return null;
}
