/**
 * A small driver for adapter tests: produces harness payloads and runs consumers the way the runner
 * does (commit before processing under at-most-once, after under at-least-once), recording every
 * operation in a TestHistory. Not the runner: no schedule, no metrics, just enough to exercise a
 * broker through the contract and judge what came back.
 */

import { wallMs } from "../../harness/clock.js";
import { encodePayload, messageId, stampSent } from "../../harness/payload.js";
import type {
  Adapter,
  Consumer,
  ConsumerOptions,
  Delivery,
  DeliveryMode,
  OutgoingMessage,
} from "../contract.js";
import { SendError } from "../contract.js";
import { deliveryId, type SentMessage, type TestHistory } from "./history.js";

export interface ProduceOptions {
  readonly process: number;
  readonly topic: string;
  readonly mode: DeliveryMode;
  readonly count: number;
  /** First sequence number (to continue a producer's numbering across calls). */
  readonly firstSequence?: number;
  readonly batch?: number;
  readonly size?: number;
}

/** Sends `count` messages in batches; returns the ids the broker acknowledged. */
export async function produce(adapter: Adapter, history: TestHistory, o: ProduceOptions): Promise<string[]> {
  const producer = await adapter.createProducer({ process: o.process, mode: o.mode, idempotent: false });
  const acked: string[] = [];
  const batchSize = o.batch ?? 50;
  const first = o.firstSequence ?? 0;
  try {
    for (let seq = first; seq < first + o.count; seq += batchSize) {
      const n = Math.min(batchSize, first + o.count - seq);
      const outgoing: OutgoingMessage[] = [];
      const sent: SentMessage[] = [];
      for (let i = 0; i < n; i++) {
        const payload = encodePayload(o.size ?? 100, o.process, seq + i, wallMs());
        stampSent(payload, wallMs());
        outgoing.push({ topic: o.topic, key: null, payload });
        sent.push({ id: messageId(o.process, seq + i), topic: o.topic, key: null });
      }
      history.sendInvoke(o.process, sent);
      try {
        const acks = await producer.send(outgoing);
        history.sendOk(o.process, sent, acks);
        for (const m of sent) acked.push(m.id);
      } catch (err) {
        if (!(err instanceof SendError)) throw err;
        history.sendFailed(o.process, sent, err.definite);
      }
    }
  } finally {
    await producer.close();
  }
  return acked;
}

export interface RunConsumerOptions extends Omit<ConsumerOptions, "onAssign" | "prefetch"> {
  readonly prefetch?: number;
  /** Commit (acknowledge) only the first this-many deliveries; later ones stay unacknowledged. */
  readonly commitLimit?: number;
  /** Pull: messages per poll. */
  readonly pollMax?: number;
}

/** A consumer running in the background, recording polls and commits. */
export class RunningConsumer {
  /** Ids in delivery order (with repeats). */
  readonly delivered: string[] = [];
  readonly committed: string[] = [];
  /** Ids whose commit was asked for (acknowledged or not yet answered when the consumer died). */
  readonly commitAttempted: string[] = [];
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private error: unknown = null;

  private constructor(
    readonly consumer: Consumer,
    private readonly history: TestHistory,
    readonly options: RunConsumerOptions,
  ) {}

  static async start(
    adapter: Adapter,
    history: TestHistory,
    o: RunConsumerOptions,
  ): Promise<RunningConsumer> {
    const consumer = await adapter.createConsumer({
      ...o,
      prefetch: o.prefetch ?? 100,
      onAssign: (a) => history.assign(o.process, o.group, a),
    });
    const running = new RunningConsumer(consumer, history, o);
    if (consumer.delivery === "push") {
      await consumer.start((batch) => running.handle(batch));
    } else {
      const pull = consumer;
      running.loop = (async () => {
        while (!running.stopped) {
          history.pollInvoke(o.process, o.group);
          const batch = await pull.poll(o.pollMax ?? 20, 100);
          if (running.stopped) break;
          await running.handle(batch);
        }
      })().catch((err: unknown) => {
        if (!running.stopped) running.error = err;
      });
    }
    return running;
  }

  private async handle(batch: readonly Delivery[]): Promise<void> {
    if (this.stopped) return;
    const o = this.options;
    this.history.pollOk(o.process, o.group, batch);
    if (batch.length === 0) return;
    const limit = o.commitLimit ?? Number.POSITIVE_INFINITY;
    const room = Math.max(0, limit - this.committed.length);
    const toCommit = batch.slice(0, room);
    // at-most-once: commit, then process; at-least-once: process, then commit.
    if (o.mode === "at-most-once") await this.commit(toCommit);
    for (const d of batch) this.delivered.push(deliveryId(d));
    if (o.mode !== "at-most-once") await this.commit(toCommit);
  }

  private async commit(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    for (const d of deliveries) this.commitAttempted.push(deliveryId(d));
    const value = await this.consumer.commit(deliveries);
    this.history.commit(this.options.process, this.options.group, value, deliveries);
    if (value.kind === "acks") {
      for (const d of deliveries.slice(0, value.count)) this.committed.push(deliveryId(d));
    } else {
      for (const d of deliveries) this.committed.push(deliveryId(d));
    }
  }

  /** Throws what the background loop hit, if anything. */
  check(): void {
    if (this.error !== null) throw this.error;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.consumer.close();
    this.check();
  }

  /** Dies abruptly: no commit, no ack. Recorded as a crash; the process id is not reused. */
  async kill(): Promise<void> {
    this.stopped = true;
    this.history.crash(this.options.process);
    await (this.consumer.kill ?? this.consumer.close).call(this.consumer);
    await this.loop;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `done()` or `timeoutMs`; returns whether `done()` held. */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
  return true;
}

/**
 * The drain of HISTORY.md: the group's consumers read until every acknowledged id reached the group,
 * or until nothing new arrived for `quietMs` (what is left then is not coming: caught up).
 */
export async function drain(
  history: TestHistory,
  group: string,
  consumers: readonly RunningConsumer[],
  acked: readonly string[],
  quietMs: number,
  timeoutMs = 15_000,
): Promise<void> {
  history.drain(group, false);
  const want = new Set(acked);
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  let quietSince = Date.now();
  for (;;) {
    for (const c of consumers) c.check();
    const got = new Set(consumers.flatMap((c) => c.delivered));
    let missing = 0;
    for (const id of want) if (!got.has(id)) missing++;
    if (missing === 0) break;
    const total = consumers.reduce((n, c) => n + c.delivered.length, 0);
    if (total !== seen) {
      seen = total;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > quietMs) break;
    if (Date.now() > deadline)
      throw new Error(`drain of group ${group}: still ${missing} missing after ${timeoutMs} ms`);
    await sleep(20);
  }
  // Let redeliveries in flight land before the drain is declared complete.
  await sleep(Math.min(200, quietMs));
  history.drain(group, true);
}
