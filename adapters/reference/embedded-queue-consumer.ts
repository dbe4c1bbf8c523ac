/**
 * Queue-model consumer over an in-process Broker (`queue=true`): a member of a shared subscription.
 * The broker pushes each message to one member and keeps it in flight until acked; `commit` acks
 * (the contract's "acknowledge"), dying without acking gets the messages redelivered to others.
 * Pull is served from the member's prefetch buffer that the broker pushes into.
 */
import type { CommitValue, ConsumerOptions, Delivery, PullConsumer, PushConsumer } from "../contract.js";
import { type Broker, isBrokerError, type QueueDelivery } from "./broker/index.js";
import type { ReferenceSettings } from "./embedded-settings.js";
import { WaitingBuffer } from "./waiting-buffer.js";

interface QueueDeliveryOut extends Delivery {
  readonly offset: number;
}

class QueueMember {
  readonly broker: Broker;
  readonly options: ConsumerOptions;
  readonly settings: ReferenceSettings;
  memberId = "";
  private timer: ReturnType<typeof setInterval> | null = null;
  closed = false;

  constructor(broker: Broker, options: ConsumerOptions, settings: ReferenceSettings) {
    this.broker = broker;
    this.options = options;
    this.settings = settings;
  }

  join(deliver: (batch: readonly QueueDelivery[]) => void | Promise<void>): void {
    this.subscribe(deliver);
    const every = Math.max(10, Math.floor(this.settings.sessionTimeoutMs / 3));
    this.timer = setInterval(() => {
      if (this.closed) return;
      try {
        this.broker.heartbeat({ group: this.options.group, memberId: this.memberId });
      } catch (err) {
        // Expired (the process stalled past the session timeout): the broker already gave our
        // unacked messages to others; join again as a new member.
        if (isBrokerError(err, "UNKNOWN_MEMBER_ID")) this.subscribe(deliver);
      }
    }, every);
    this.timer.unref();
  }

  private subscribe(deliver: (batch: readonly QueueDelivery[]) => void | Promise<void>): void {
    const s = this.broker.joinGroup({
      group: this.options.group,
      memberId: null,
      clientId: `p${this.options.process}`,
      topics: this.options.topics,
      sessionTimeoutMs: this.settings.sessionTimeoutMs,
      mode: "queue",
    });
    this.memberId = s.memberId;
    this.options.onAssign?.({ partitions: s.assignment, from: "committed" });
    this.broker.queueSubscribe(
      { group: this.options.group, memberId: this.memberId, generation: s.generation },
      {
        ackTimeoutMs: this.settings.ackTimeoutMs,
        maxDeliveries: this.settings.maxDeliveries,
        deadLetterTopic: this.settings.deadLetterTopic,
        prefetch: Math.max(1, this.options.prefetch),
        isolation: this.settings.isolation,
      },
      { deliver },
    );
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    const acks = deliveries.map((d) => ({ topic: d.topic, partition: d.partition, offset: d.offset! }));
    await this.broker.queueSettle({ group: this.options.group, memberId: this.memberId, acks });
    return { kind: "acks", count: acks.length };
  }

  stop(leave: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (leave && !this.broker.isClosed) {
      try {
        this.broker.leaveGroup({ group: this.options.group, memberId: this.memberId });
      } catch {
        // already gone
      }
    }
  }
}

function toDelivery(d: QueueDelivery): QueueDeliveryOut {
  return {
    topic: d.topic,
    partition: d.partition,
    offset: d.offset,
    key: d.key,
    payload: d.payload,
    redelivered: d.redelivered,
  };
}

export class EmbeddedQueuePushConsumer implements PushConsumer {
  readonly delivery = "push" as const;
  private readonly member: QueueMember;
  private onBatch: ((batch: readonly Delivery[]) => void | Promise<void>) | null = null;
  private readonly early: QueueDelivery[][] = [];

  private constructor(member: QueueMember) {
    this.member = member;
  }

  static create(
    broker: Broker,
    options: ConsumerOptions,
    settings: ReferenceSettings,
  ): EmbeddedQueuePushConsumer {
    const c = new EmbeddedQueuePushConsumer(new QueueMember(broker, options, settings));
    c.member.join((batch) => {
      if (c.member.closed) return;
      if (c.onBatch === null) {
        c.early.push([...batch]);
        return;
      }
      return c.onBatch(batch.map(toDelivery));
    });
    return c;
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    this.onBatch = onBatch;
    for (const b of this.early.splice(0)) await onBatch(b.map(toDelivery));
  }

  commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    return this.member.commit(deliveries);
  }

  close(): Promise<void> {
    this.member.stop(true);
    return Promise.resolve();
  }

  kill(): Promise<void> {
    this.member.stop(false);
    return Promise.resolve();
  }
}

export class EmbeddedQueuePullConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  private readonly member: QueueMember;
  private readonly buffered = new WaitingBuffer<QueueDelivery>();

  private constructor(member: QueueMember) {
    this.member = member;
  }

  static create(
    broker: Broker,
    options: ConsumerOptions,
    settings: ReferenceSettings,
  ): EmbeddedQueuePullConsumer {
    const c = new EmbeddedQueuePullConsumer(new QueueMember(broker, options, settings));
    c.member.join((batch) => {
      if (c.member.closed) return;
      c.buffered.push(batch);
    });
    return c;
  }

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    if (this.member.closed) throw new Error("consumer is closed");
    return (await this.buffered.take(max, waitMs)).map(toDelivery);
  }

  commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    return this.member.commit(deliveries);
  }

  close(): Promise<void> {
    this.member.stop(true);
    return Promise.resolve();
  }

  kill(): Promise<void> {
    this.member.stop(false);
    return Promise.resolve();
  }
}
