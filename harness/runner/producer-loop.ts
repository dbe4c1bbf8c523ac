/**
 * One producer's loop. At a fixed rate it follows a schedule of intended send times (batch k is
 * due at start + k·batchSize/rate) and never skips a slot when it falls behind, so latency measured
 * from the intended time includes the wait (no coordinated omission). At `max` it sends the next
 * batch as soon as the previous one is acknowledged. One batch is outstanding at a time.
 */
import { type OutgoingMessage, type Producer, SendError } from "../../adapters/contract.js";
import { wallMs } from "../clock.js";
import type { HistoryRecorder, SentBatch } from "../history/index.js";
import type { RunMetrics } from "../metrics/index.js";
import type { KeyGenerator } from "./keys.js";
import { BatchEncoder } from "./payloads.js";

export interface ProducerPlan {
  readonly process: number;
  readonly topic: string;
  /** Messages per second for this producer, or null for as fast as acknowledged. */
  readonly ratePerSec: number | null;
  readonly batchSize: number;
  readonly messageSize: number;
  /** Messages this producer sends, or null to send until `endMs`. */
  readonly limit: number | null;
  readonly startMs: number;
  readonly endMs: number;
  readonly keys: KeyGenerator;
}

export interface LoopContext {
  readonly metrics: RunMetrics;
  readonly recorder: HistoryRecorder | null;
  /** Set when the run is aborted: loops finish their current operation and return. */
  readonly abort: { aborted: boolean };
}

export interface ProducerOutcome {
  readonly process: number;
  /** Set when the producer stopped on an error (after an unknown outcome its process id is spent). */
  readonly error: string | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** A loop whose sends complete synchronously must still let timers and I/O run this often. */
const YIELD_EVERY_MS = 2;

export async function runProducer(
  producer: Producer,
  plan: ProducerPlan,
  ctx: LoopContext,
): Promise<ProducerOutcome> {
  const { metrics, recorder, abort } = ctx;
  const encoder = new BatchEncoder(plan.messageSize, plan.process, plan.batchSize);
  const batchIntervalMs = plan.ratePerSec === null ? 0 : (plan.batchSize * 1000) / plan.ratePerSec;
  let seq = 0;
  let k = 0;
  let lastYield = performance.now();
  while (!abort.aborted) {
    const count = plan.limit === null ? plan.batchSize : Math.min(plan.batchSize, plan.limit - seq);
    if (count <= 0) break;
    let intendedMs: number;
    if (batchIntervalMs > 0) {
      intendedMs = plan.startMs + k * batchIntervalMs;
      if (plan.limit === null && intendedMs >= plan.endMs) break;
      // Timers have 1 ms resolution: sleep while a whole millisecond remains, then send. A batch
      // that goes out (less than 1 ms) before its slot takes its actual send time as intended
      // time, so latency is never understated; the schedule itself stays on its grid.
      for (let wait = intendedMs - wallMs(); wait >= 1; wait = intendedMs - wallMs()) {
        await sleep(Math.floor(wait));
        lastYield = performance.now();
      }
    } else {
      intendedMs = wallMs();
      if (plan.limit === null && intendedMs >= plan.endMs) break;
    }
    const keys = plan.keys.batch(count);
    const sentMs = wallMs();
    if (intendedMs > sentMs) intendedMs = sentMs;
    const payloads = encoder.encode(count, seq, intendedMs, sentMs);
    const messages = new Array<OutgoingMessage>(count);
    for (let i = 0; i < count; i++) {
      messages[i] = { topic: plan.topic, key: keys === null ? null : keys[i]!, payload: payloads[i]! };
    }
    const batch: SentBatch = { process: plan.process, topic: plan.topic, firstSeq: seq, count, keys };
    metrics.onSending(count);
    recorder?.sendInvoke(batch);
    seq += count;
    k++;
    try {
      const acks = await producer.send(messages);
      metrics.onAcked(count, intendedMs, sentMs, wallMs());
      recorder?.sendOk(batch, acks);
    } catch (err) {
      const definite = err instanceof SendError && err.definite;
      const message = err instanceof Error ? err.message : String(err);
      metrics.onSendFailed(count, definite);
      recorder?.sendFailed(batch, definite, message);
      // An unknown outcome spends this process id (HISTORY.md): the producer stops.
      if (!definite) return { process: plan.process, error: message };
    }
    const now = performance.now();
    if (now - lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  return { process: plan.process, error: null };
}
