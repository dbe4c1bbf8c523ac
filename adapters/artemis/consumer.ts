/**
 * Artemis consumers: one connection and one receiver link each, on the group's queue.
 *
 * Credit is the only flow control AMQP has, and the adapter manages it itself (rhea's own credit
 * window refills on *arrival*, which would let unacknowledged messages pile up without bound):
 * - push: `prefetch` credit at start, one credit back per committed delivery, so at most
 *   `prefetch` deliveries are ever outstanding to the consumer (as basic.qos does in AMQP 0-9-1);
 * - pull: no credit between polls; a poll grants what it wants, waits for the first message (or
 *   `waitMs`), then drains: the broker sends what it has up to that credit and gives the rest back.
 *
 * at-least-once: deliveries arrive unsettled and `commit` accepts them (after processing); a
 * consumer that dies or leaves returns what it had not accepted to the queue, redelivered with a
 * higher delivery count. at-most-once: the link asks for pre-settled deliveries (sender settle
 * mode `settled`), so the broker forgets each message as it sends it.
 */
import type { Message, Receiver, Delivery as RheaDelivery } from "rhea-promise";
import type { CommitValue, Delivery, PullConsumer, PushConsumer } from "../contract.js";
import { PushBatches } from "../push-batches.js";
import { type ArtemisConnection, describeAmqpError, NAME } from "./connection.js";
import { KEY_PROPERTY } from "./names.js";

/** How long a drain may take before the poll gives up waiting for the broker's answer. */
const DRAIN_TIMEOUT_MS = 5_000;

export interface ConsumerLink {
  readonly conn: ArtemisConnection;
  readonly receiver: Receiver;
  readonly topic: string;
  /** Deliveries arrive pre-settled (at-most-once): nothing to accept. */
  readonly presettled: boolean;
}

function payloadOf(message: Message): Uint8Array {
  const body = message.body as unknown;
  // A data section arrives as rhea's Section {typecode 0x75, content: Buffer}.
  if (
    body &&
    typeof body === "object" &&
    "content" in body &&
    Buffer.isBuffer((body as { content: unknown }).content)
  ) {
    return (body as { content: Buffer }).content;
  }
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === "string") return Buffer.from(body);
  return new Uint8Array(0);
}

abstract class ArtemisConsumer {
  protected readonly unsettled = new WeakMap<Delivery, RheaDelivery>();
  protected closed = false;
  /** Set when the link or the connection failed: later polls and commits fail with it. */
  protected failure: string | null = null;

  constructor(protected readonly link: ConsumerLink) {
    const { receiver, conn } = link;
    receiver.on("message" as never, (ctx: { message?: Message; delivery?: RheaDelivery }) => {
      if (this.closed || ctx.message === undefined || ctx.delivery === undefined) return;
      this.receive(this.toDelivery(ctx.message, ctx.delivery));
    });
    receiver.on("receiver_error" as never, () =>
      this.fail(`receiver link closed: ${describeAmqpError(receiver.error)}`),
    );
    receiver.on("receiver_close" as never, () => this.fail("receiver link closed by the broker"));
    conn.connection.on("disconnected" as never, () => this.fail("connection lost"));
  }

  protected fail(why: string): void {
    this.failure ??= why;
    this.onFailure();
  }

  protected onFailure(): void {}

  protected abstract receive(d: Delivery): void;

  private toDelivery(message: Message, delivery: RheaDelivery): Delivery {
    const key = message.application_properties?.[KEY_PROPERTY] as unknown;
    const d: Delivery = {
      topic: this.link.topic,
      partition: 0,
      offset: null,
      key: key === undefined || key === null ? null : String(key),
      payload: payloadOf(message),
      // Artemis counts failed deliveries in the header's delivery-count.
      redelivered: (message.delivery_count ?? 0) > 0,
    };
    // A pre-settled delivery still holds a slot of rhea's session window (2,048) until it is
    // settled here too; left alone, the broker stops after 2,048 messages (measured).
    if (this.link.presettled) delivery.update(true);
    else this.unsettled.set(d, delivery);
    return d;
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    if (this.failure !== null) throw new Error(`${NAME}: cannot acknowledge: ${this.failure}`);
    if (!this.link.presettled) {
      for (const d of deliveries) {
        const delivery = this.unsettled.get(d);
        if (delivery === undefined)
          throw new Error(`${NAME}: commit of a delivery this consumer did not make`);
        delivery.accept();
        this.unsettled.delete(d);
      }
      // rhea writes the dispositions on the next tick: let them reach the socket before reporting
      // them committed.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.failure !== null) throw new Error(`${NAME}: acknowledgement outcome unknown: ${this.failure}`);
    }
    this.afterCommit(deliveries.length);
    return { kind: "acks", count: deliveries.length };
  }

  protected afterCommit(_count: number): void {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Detaching returns what was not accepted to the queue (redelivered to another consumer).
    await this.link.receiver.close().catch(() => {});
    await this.link.conn.close();
  }

  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.link.conn.destroy();
  }
}

export class ArtemisPushConsumer extends ArtemisConsumer implements PushConsumer {
  readonly delivery = "push" as const;
  private readonly batches: PushBatches<Delivery>;

  constructor(
    link: ConsumerLink,
    private readonly prefetch: number,
    maxBatch: number,
  ) {
    super(link);
    // Transfers of one socket read arrive in one tick: handed over as one batch.
    this.batches = new PushBatches(maxBatch, { coalesce: "turn" });
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    this.batches.start(onBatch);
    this.link.receiver.addCredit(Math.max(1, this.prefetch));
  }

  protected receive(d: Delivery): void {
    this.batches.push(d);
  }

  protected override afterCommit(count: number): void {
    if (!this.closed && this.failure === null) this.link.receiver.addCredit(count);
  }

  override async close(): Promise<void> {
    this.batches.stop();
    await super.close();
    // A delivery handler that threw stopped delivery there (push-batches.ts): say so.
    if (this.batches.error !== null) throw this.batches.error;
  }

  override async kill(): Promise<void> {
    this.batches.stop();
    await super.kill();
  }
}

export class ArtemisPullConsumer extends ArtemisConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  /** Deliveries received and not yet returned by a poll (a drain that timed out may leave some). */
  private readonly buffer: Delivery[] = [];
  private wake: (() => void) | null = null;
  private drained: (() => void) | null = null;

  constructor(link: ConsumerLink) {
    super(link);
    link.receiver.on("receiver_drained" as never, () => {
      const d = this.drained;
      this.drained = null;
      d?.();
    });
  }

  protected receive(d: Delivery): void {
    this.buffer.push(d);
    const w = this.wake;
    this.wake = null;
    w?.();
    // A drain is over once the credit is spent: Artemis does not answer a drain whose credit the
    // transfers already in flight used up (measured: the poll then waited for its timeout).
    if (this.drained !== null && this.link.receiver.credit <= 0) {
      const d = this.drained;
      this.drained = null;
      d();
    }
  }

  protected override onFailure(): void {
    this.wake?.();
    this.drained?.();
  }

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    if (this.closed) throw new Error(`${NAME}: consumer closed`);
    if (this.failure !== null) throw new Error(`${NAME}: poll failed: ${this.failure}`);
    const receiver = this.link.receiver;
    const want = max - this.buffer.length - receiver.credit;
    if (want > 0) receiver.addCredit(want);
    if (this.buffer.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = null;
          resolve();
        }, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (this.failure !== null) throw new Error(`${NAME}: poll failed: ${this.failure}`);
    if (receiver.credit > 0) {
      // Drain: the broker sends what it has up to the remaining credit, then spends the rest, so
      // nothing arrives between polls.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.drained = null;
          resolve();
        }, DRAIN_TIMEOUT_MS);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
        receiver.drainCredit();
      });
      (receiver as unknown as { drain: boolean }).drain = false;
    }
    return this.buffer.splice(0, max);
  }
}
