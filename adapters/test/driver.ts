/**
 * A small driver for adapter tests: produces harness payloads and runs consumers the way the runner
 * does (commit before processing under at-most-once, after under at-least-once), recording every
 * operation in a TestHistory. Not the runner: no schedule, no metrics, just enough to exercise a
 * broker through the contract and judge what came back.
 */

import { wallMs } from "../../core/clock.js";
import { encodePayload, messageId, stampSent } from "../../core/payload.js";
import type {
  Adapter,
  Assignment,
  CommitValue,
  Consumer,
  ConsumerOptions,
  Delivery,
  DeliveryMode,
  OutgoingMessage,
  TopicPartition,
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
        outgoing.push({ topic: o.topic, key: null, payload, id: messageId(o.process, seq + i) });
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
  /** Commits that threw (e.g. fenced by a rebalance); each spent a process id. */
  readonly commitErrors: string[] = [];
  /** The partitions of the last assignment the adapter reported (null before any). */
  assignment: readonly TopicPartition[] | null = null;
  /**
   * The history process id in use: the given one, then a fresh one after each commit whose outcome
   * is unknown (HISTORY.md: such a process id is never used again), as the runner does.
   */
  process: number;
  private respawns = 0;
  private stopped = false;
  private killed = false;
  private loop: Promise<void> = Promise.resolve();
  private error: unknown = null;

  private constructor(
    readonly consumer: Consumer,
    private readonly history: TestHistory,
    readonly options: RunConsumerOptions,
  ) {
    this.process = options.process;
  }

  static async start(
    adapter: Adapter,
    history: TestHistory,
    o: RunConsumerOptions,
  ): Promise<RunningConsumer> {
    // The assignment may be reported before createConsumer resolves: hold it until `running` exists.
    let running: RunningConsumer | null = null;
    let early: Assignment | null = null;
    const consumer = await adapter.createConsumer({
      ...o,
      prefetch: o.prefetch ?? 100,
      onAssign: (a) => {
        history.assign(running?.process ?? o.process, o.group, a);
        if (running === null) early = a;
        else running.assignment = a.partitions;
      },
    });
    running = new RunningConsumer(consumer, history, o);
    const r = running;
    if (early !== null) r.assignment = (early as Assignment).partitions;
    if (consumer.delivery === "push") {
      await consumer.start((batch) => r.handle(batch));
    } else {
      const pull = consumer;
      r.loop = (async () => {
        while (!r.stopped) {
          history.pollInvoke(r.process, o.group);
          const batch = await pull.poll(o.pollMax ?? 20, 100);
          if (r.stopped) break;
          await r.handle(batch);
        }
      })().catch((err: unknown) => {
        if (!r.stopped) r.error = err;
      });
    }
    return r;
  }

  private async handle(batch: readonly Delivery[]): Promise<void> {
    if (this.stopped) return;
    const o = this.options;
    this.history.pollOk(this.process, o.group, batch);
    if (batch.length === 0) return;
    const limit = o.commitLimit ?? Number.POSITIVE_INFINITY;
    const room = Math.max(0, limit - this.committed.length);
    const toCommit = batch.slice(0, room);
    // at-most-once: commit, then process; at-least-once: process, then commit.
    if (o.mode === "at-most-once") await this.commit(toCommit);
    for (const d of batch) this.delivered.push(deliveryId(d));
    if (o.mode !== "at-most-once") await this.commit(toCommit);
  }

  /**
   * `invoke` before the commit is sent and `ok` after it is answered, so a kill in between leaves
   * an honest unknown outcome (the broker may have applied it). A commit that throws while alive is
   * recorded `info` and the consumer goes on under a fresh process id, as the runner does.
   */
  private async commit(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0 || this.stopped) return;
    const { group } = this.options;
    const process = this.process;
    for (const d of deliveries) this.commitAttempted.push(deliveryId(d));
    this.history.commitInvoke(process, group);
    let value: CommitValue;
    try {
      value = await this.consumer.commit(deliveries);
    } catch (err) {
      if (this.killed) return; // died with the commit on the wire: the crash line says it all
      const message = err instanceof Error ? err.message : String(err);
      this.history.commitUnknown(process, group, message);
      this.commitErrors.push(message);
      this.process = this.options.process + 10_000 * ++this.respawns;
      return;
    }
    if (this.killed) return; // answered after the crash: a dead process learns nothing
    this.history.commit(process, group, value, deliveries);
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

  /**
   * Dies abruptly: no commit, no ack. Recorded as a crash; the process id is not reused. A commit
   * on the wire is not waited for: the broker may or may not apply it (its `invoke` has no `ok`).
   */
  async kill(): Promise<void> {
    this.stopped = true;
    this.killed = true;
    this.history.crash(this.process);
    await (this.consumer.kill ?? this.consumer.close).call(this.consumer);
    await this.loop;
  }
}

/**
 * Log model: true once the consumers' reported assignments split the topic's partitions between
 * them, each partition to exactly one (the group has settled after its members joined). Until
 * then a partition can be read by its previous and its new owner (a rebalance overlap).
 */
export function groupSettled(
  consumers: readonly RunningConsumer[],
  topic: string,
  partitions: number,
): boolean {
  const owners = new Array<number>(partitions).fill(0);
  for (const c of consumers) {
    if (c.assignment === null) return false;
    for (const tp of c.assignment) {
      if (tp.topic !== topic || tp.partition < 0 || tp.partition >= partitions) return false;
      owners[tp.partition]!++;
    }
  }
  return owners.every((n) => n === 1);
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
