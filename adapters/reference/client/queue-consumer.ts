/**
 * Queue-model consumers over any broker session (`queue=true`): a member of a shared subscription.
 * The broker pushes each message to one member and keeps it in flight until acked; `commit` acks
 * (the contract's "acknowledge"); a member that dies without acking gets its messages redelivered to
 * others (ack timeout, session expiry, or its leaving). Pull is served from the member's prefetch
 * buffer that the broker pushes into.
 */
import type { CommitValue, ConsumerOptions, Delivery, PullConsumer, PushConsumer } from "../../contract.js";
import type { QueueSubscription } from "../broker/api.js";
import { isBrokerError } from "../broker/errors.js";
import type { QueueDelivery } from "../broker/queue.js";
import type { BrokerSession } from "./session.js";
import type { ReferenceSettings } from "./settings.js";
import { WaitingBuffer } from "./waiting-buffer.js";

type Deliver = (batch: readonly QueueDelivery[]) => void;

class QueueMember {
  readonly session: BrokerSession;
  readonly options: ConsumerOptions;
  readonly settings: ReferenceSettings;
  memberId = "";
  private sub: QueueSubscription | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  closed = false;

  constructor(session: BrokerSession, options: ConsumerOptions, settings: ReferenceSettings) {
    this.session = session;
    this.options = options;
    this.settings = settings;
  }

  async join(deliver: Deliver): Promise<void> {
    await this.subscribe(deliver);
    const every = Math.max(10, Math.floor(this.settings.sessionTimeoutMs / 3));
    this.timer = setInterval(() => void this.heartbeat(deliver), every);
    this.timer.unref();
  }

  private async heartbeat(deliver: Deliver): Promise<void> {
    if (this.closed) return;
    try {
      await this.session.broker.heartbeat({ group: this.options.group, memberId: this.memberId });
    } catch (err) {
      // Expired (the process stalled past the session timeout): the broker already gave our
      // unacked messages to others; join again as a new member.
      if (isBrokerError(err, "UNKNOWN_MEMBER_ID") && !this.closed)
        await this.subscribe(deliver).catch(() => {});
    }
  }

  private async subscribe(deliver: Deliver): Promise<void> {
    const api = this.session.broker;
    const s = await api.joinGroup({
      group: this.options.group,
      memberId: null,
      clientId: `p${this.options.process}`,
      topics: this.options.topics,
      sessionTimeoutMs: this.settings.sessionTimeoutMs,
      strategy: this.settings.assignment,
      mode: "queue",
    });
    this.memberId = s.memberId;
    this.options.onAssign?.({ partitions: s.assignment, from: "committed" });
    this.sub?.close();
    this.sub = await api.queueSubscribe(
      { group: this.options.group, memberId: this.memberId, generation: s.generation },
      {
        ackTimeoutMs: this.settings.ackTimeoutMs,
        maxDeliveries: this.settings.maxDeliveries,
        deadLetterTopic: this.settings.deadLetterTopic,
        prefetch: Math.max(1, this.options.prefetch),
        isolation: this.settings.isolation,
      },
      { deliver: (batch) => (this.closed ? undefined : deliver(batch)) },
    );
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    const acks = deliveries.map((d) => ({ topic: d.topic, partition: d.partition, offset: d.offset! }));
    await this.session.broker.queueSettle({ group: this.options.group, memberId: this.memberId, acks });
    return { kind: "acks", count: acks.length };
  }

  async stop(leave: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (!leave) {
      this.session.kill();
      this.sub?.close();
      return;
    }
    this.sub?.close();
    try {
      await this.session.broker.leaveGroup({ group: this.options.group, memberId: this.memberId });
    } catch {
      // Already gone (expired, broker closing, connection lost).
    }
    await this.session.close();
  }
}

// A QueueDelivery is a contract Delivery (plus its delivery count): handed out as it is.

export class QueuePushConsumer implements PushConsumer {
  readonly delivery = "push" as const;
  private readonly member: QueueMember;
  private onBatch: ((batch: readonly Delivery[]) => void | Promise<void>) | null = null;
  private readonly early: (readonly QueueDelivery[])[] = [];
  private chain: Promise<void> = Promise.resolve();

  private constructor(member: QueueMember) {
    this.member = member;
  }

  static async create(
    session: BrokerSession,
    options: ConsumerOptions,
    settings: ReferenceSettings,
  ): Promise<QueuePushConsumer> {
    const c = new QueuePushConsumer(new QueueMember(session, options, settings));
    await c.member.join((batch) => {
      if (c.onBatch === null) c.early.push(batch);
      else c.handOver(c.onBatch, batch);
    });
    return c;
  }

  /** One batch at a time, in arrival order; the handler's failures are the caller's to record. */
  private handOver(
    onBatch: (batch: readonly Delivery[]) => void | Promise<void>,
    batch: readonly Delivery[],
  ) {
    this.chain = this.chain.then(() => onBatch(batch)).catch(() => {});
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    this.onBatch = onBatch;
    for (const b of this.early.splice(0)) this.handOver(onBatch, b);
    await this.chain;
  }

  commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    return this.member.commit(deliveries);
  }

  close(): Promise<void> {
    return this.member.stop(true);
  }

  kill(): Promise<void> {
    return this.member.stop(false);
  }
}

export class QueuePullConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  private readonly member: QueueMember;
  private readonly buffered = new WaitingBuffer<QueueDelivery>();

  private constructor(member: QueueMember) {
    this.member = member;
  }

  static async create(
    session: BrokerSession,
    options: ConsumerOptions,
    settings: ReferenceSettings,
  ): Promise<QueuePullConsumer> {
    const c = new QueuePullConsumer(new QueueMember(session, options, settings));
    await c.member.join((batch) => c.buffered.push(batch));
    return c;
  }

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    if (this.member.closed) throw new Error("consumer is closed");
    return this.buffered.take(max, waitMs);
  }

  commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    return this.member.commit(deliveries);
  }

  close(): Promise<void> {
    return this.member.stop(true);
  }

  kill(): Promise<void> {
    return this.member.stop(false);
  }
}
