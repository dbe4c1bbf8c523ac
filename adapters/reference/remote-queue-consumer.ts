/**
 * Queue-model consumers over TCP (`queue=true` with `url=`), mirroring embedded-queue-consumer.ts:
 * a member of a shared subscription. The broker pushes each message to one member (QUEUE push
 * frames) and keeps it in flight until acked; `commit` acks (QueueSettle); a member that dies
 * without acking gets its messages redelivered to others (ack timeout or session expiry).
 * Pull is served from the member's prefetch buffer that the broker pushes into.
 */
import type { CommitValue, ConsumerOptions, Delivery, PullConsumer, PushConsumer } from "../contract.js";
import { type ReferenceClient, ServerError } from "./client/client.js";
import type { ReferenceSettings } from "./embedded-settings.js";
import type { ErrorPart } from "./protocol/api.js";
import { APIS } from "./protocol/apis.js";
import { type QueueMessage, readPush } from "./protocol/push.js";
import { WaitingBuffer } from "./waiting-buffer.js";

const UNKNOWN_MEMBER_ID = 25;

function check<T extends ErrorPart>(r: T): T {
  if (r.errorCode !== 0) throw new ServerError(r.errorCode, r.errorMessage);
  return r;
}

function toDelivery(m: QueueMessage): Delivery {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    key: m.key,
    payload: m.payload,
    redelivered: m.deliveryCount > 1,
  };
}

class RemoteQueueMember {
  readonly client: ReferenceClient;
  readonly options: ConsumerOptions;
  readonly settings: ReferenceSettings;
  memberId = "";
  private subscriptionId = -1;
  private timer: ReturnType<typeof setInterval> | null = null;
  closed = false;

  constructor(client: ReferenceClient, options: ConsumerOptions, settings: ReferenceSettings) {
    this.client = client;
    this.options = options;
    this.settings = settings;
  }

  async join(deliver: (batch: readonly QueueMessage[]) => void): Promise<void> {
    await this.subscribe(deliver);
    const every = Math.max(10, Math.floor(this.settings.sessionTimeoutMs / 3));
    this.timer = setInterval(() => {
      if (this.closed) return;
      void this.client
        .request(APIS.heartbeat, { group: this.options.group, memberId: this.memberId })
        .then(async (r) => {
          // Expired (stalled past the session timeout): the broker already gave our unacked
          // messages to others; join again as a new member.
          if (r.errorCode === UNKNOWN_MEMBER_ID && !this.closed) await this.subscribe(deliver);
        })
        .catch(() => {});
    }, every);
    this.timer.unref();
  }

  private async subscribe(deliver: (batch: readonly QueueMessage[]) => void): Promise<void> {
    const s = check(
      await this.client.request(APIS.joinGroup, {
        group: this.options.group,
        memberId: null,
        clientId: `p${this.options.process}`,
        topics: this.options.topics,
        sessionTimeoutMs: this.settings.sessionTimeoutMs,
        strategy: this.settings.assignment,
        mode: "queue",
      }),
    );
    this.memberId = s.memberId;
    this.options.onAssign?.({ partitions: s.assignment, from: "committed" });
    const sub = this.client.subscribePushes((body) => {
      const b = readPush(body);
      if (b.kind === "queue" && !this.closed) deliver(b.messages);
    });
    this.subscriptionId = sub.id;
    check(
      await this.client.request(APIS.queueSubscribe, {
        subscriptionId: sub.id,
        group: this.options.group,
        memberId: this.memberId,
        generation: s.generation,
        ackTimeoutMs: this.settings.ackTimeoutMs,
        maxDeliveries: this.settings.maxDeliveries,
        deadLetterTopic: this.settings.deadLetterTopic,
        prefetch: Math.max(1, this.options.prefetch),
        isolation: this.settings.isolation,
      }),
    );
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    const acks = deliveries.map((d) => ({ topic: d.topic, partition: d.partition, offset: d.offset! }));
    check(
      await this.client.request(APIS.queueSettle, {
        group: this.options.group,
        memberId: this.memberId,
        acks,
        nacks: [],
      }),
    );
    return { kind: "acks", count: acks.length };
  }

  async stop(leave: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (leave && !this.client.closed) {
      await this.client.request(APIS.unsubscribe, { subscriptionId: this.subscriptionId }).catch(() => {});
      await this.client
        .request(APIS.leaveGroup, { group: this.options.group, memberId: this.memberId })
        .catch(() => {});
      await this.client.close();
    } else {
      this.client.destroy();
    }
  }
}

export class RemoteQueuePushConsumer implements PushConsumer {
  readonly delivery = "push" as const;
  private readonly member: RemoteQueueMember;
  private onBatch: ((batch: readonly Delivery[]) => void | Promise<void>) | null = null;
  private readonly early: QueueMessage[][] = [];
  private chain: Promise<void> = Promise.resolve();

  private constructor(member: RemoteQueueMember) {
    this.member = member;
  }

  static async create(
    client: ReferenceClient,
    options: ConsumerOptions,
    settings: ReferenceSettings,
  ): Promise<RemoteQueuePushConsumer> {
    const c = new RemoteQueuePushConsumer(new RemoteQueueMember(client, options, settings));
    await c.member.join((batch) => {
      if (c.onBatch === null) {
        c.early.push([...batch]);
        return;
      }
      const onBatch = c.onBatch;
      // One batch at a time, in arrival order; handler failures are the caller's to record.
      c.chain = c.chain.then(() => onBatch(batch.map(toDelivery))).catch(() => {});
    });
    return c;
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    this.onBatch = onBatch;
    for (const b of this.early.splice(0)) {
      this.chain = this.chain.then(() => onBatch(b.map(toDelivery))).catch(() => {});
    }
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

export class RemoteQueuePullConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  private readonly member: RemoteQueueMember;
  private readonly buffered = new WaitingBuffer<QueueMessage>();

  private constructor(member: RemoteQueueMember) {
    this.member = member;
  }

  static async create(
    client: ReferenceClient,
    options: ConsumerOptions,
    settings: ReferenceSettings,
  ): Promise<RemoteQueuePullConsumer> {
    const c = new RemoteQueuePullConsumer(new RemoteQueueMember(client, options, settings));
    await c.member.join((batch) => {
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
    return this.member.stop(true);
  }

  kill(): Promise<void> {
    return this.member.stop(false);
  }
}
