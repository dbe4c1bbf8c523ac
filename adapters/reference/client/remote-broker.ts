/**
 * The broker interface (../broker/api.ts) over TCP: the client-side mirror of the server's handlers
 * (../server/handlers.ts), one request type per method, on one connection. Error codes in
 * responses come back as the `BrokerError` of the same table entry the server threw
 * (protocol/errors.ts `errorFromWire`); per-partition fetch errors stay data, as in process.
 *
 * Push subscriptions keep the in-process contract: `sink.deliver` is called one chunk at a time,
 * and a promise it returns holds the next chunk back. A bounded-buffer subscription (flow `buffer`)
 * gets a connection of its own, whose reading pauses while the sink holds a chunk back: TCP
 * backpressure fills the broker's bounded buffer, which then drops or disconnects as configured,
 * while requests on the main connection (commits, heartbeats) go on.
 */
import type { BrokerApi, PushSubscription, QueueSubscription } from "../broker/api.js";
import type { TopicPartitionRef } from "../broker/assignors.js";
import {
  type CommitRequest,
  DEFAULT_SESSION_TIMEOUT_MS,
  type FetchPosition,
  type FetchRequest,
  type FetchResult,
  type JoinGroupRequest,
  type MemberRef,
  type MemberState,
  type ProduceRequest,
  type ProduceResult,
  type ProducerIdentity,
  type SubscribeRequest,
  type TopicInfo,
} from "../broker/broker.js";
import type { PartitionFetch } from "../broker/partition.js";
import type { QueueDelivery, QueueOptions, QueueSink } from "../broker/queue.js";
import type { PushSink } from "../broker/subscription.js";
import type { ErrorPart } from "../protocol/api.js";
import { APIS } from "../protocol/apis.js";
import { errorFromWire, wireError } from "../protocol/errors.js";
import { readPush } from "../protocol/push.js";
import type { FetchResponseIn } from "../protocol/requests/05-fetch.js";
import { type ClientOptions, ReferenceClient } from "./client.js";
import { countOf, PushQueue, partitionRecords, RemotePushSubscription } from "./remote-push.js";

function check<T extends ErrorPart>(r: T): T {
  if (r.errorCode !== 0) throw errorFromWire(r.errorCode, r.errorMessage);
  return r;
}

export class RemoteBroker implements BrokerApi {
  readonly client: ReferenceClient;

  private constructor(client: ReferenceClient) {
    this.client = client;
  }

  /** Connects and negotiates versions; rejects naming the address. */
  static async connect(options: ClientOptions): Promise<RemoteBroker> {
    return new RemoteBroker(await ReferenceClient.connect(options));
  }

  get address(): string {
    return this.client.address;
  }

  get brokerVersion(): string {
    return this.client.brokerVersion;
  }

  // ---------------------------------------------------------------- topics

  async listTopics(): Promise<readonly TopicInfo[]> {
    return check(await this.client.request(APIS.metadata, {})).topics;
  }

  async createTopic(name: string, partitions: number): Promise<void> {
    check(await this.client.request(APIS.createTopic, { name, partitions }));
  }

  async deleteTopic(name: string): Promise<void> {
    check(await this.client.request(APIS.deleteTopic, { name }));
  }

  // ---------------------------------------------------------------- produce

  async initProducerId(req: {
    readonly transactionalId?: string | null;
    readonly transactionTimeoutMs?: number;
  }): Promise<ProducerIdentity> {
    const r = check(
      await this.client.request(APIS.initProducerId, {
        transactionalId: req.transactionalId ?? null,
        transactionTimeoutMs: req.transactionTimeoutMs ?? -1,
      }),
    );
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }

  async produce(req: ProduceRequest): Promise<ProduceResult> {
    const r = check(
      await this.client.request(APIS.produce, {
        acks: req.acks ?? "leader",
        producerId: req.producerId ?? -1,
        producerEpoch: req.producerEpoch ?? -1,
        transactional: req.transactional ?? false,
        batches: [
          {
            topic: req.topic,
            partition: req.partition,
            baseSequence: req.baseSequence ?? -1,
            records: req.records,
          },
        ],
      }),
    );
    const b = r.results[0];
    if (b === undefined) throw errorFromWire(-1, "Produce answered no result");
    check(b);
    return { baseOffset: b.baseOffset, duplicate: b.duplicate };
  }

  // ---------------------------------------------------------------- read

  async listOffset(topic: string, partition: number, which: "earliest" | "latest"): Promise<number> {
    return check(await this.client.request(APIS.listOffsets, { topic, partition, which })).offset;
  }

  async fetch(req: FetchRequest): Promise<FetchResult> {
    const waitMs = Math.max(0, Math.round(req.waitMs ?? 0));
    const r = check(
      await this.client.request(
        APIS.fetch,
        {
          waitMs,
          maxRecords: req.maxRecords ?? 10_000,
          maxBytes: req.maxBytes ?? 8 * 1024 * 1024,
          isolation: req.isolation ?? "read_uncommitted",
          group: req.group ?? null,
          positions: req.partitions,
        },
        waitMs,
      ),
    );
    let count = 0;
    const partitions: PartitionFetch[] = [];
    for (let i = 0; i < r.partitions.length; i++) {
      const p = (r as FetchResponseIn).partitions[i]!;
      // The server answers the positions in the order asked.
      const asked =
        req.partitions[i]?.topic === p.topic && req.partitions[i]?.partition === p.partition
          ? req.partitions[i]!
          : req.partitions.find((x) => x.topic === p.topic && x.partition === p.partition);
      if (asked === undefined) continue;
      const n = countOf(p.sets);
      count += n;
      partitions.push({
        ...partitionRecords(p.topic, p.partition, asked.offset, p.nextOffset, p.redeliveredBelow, p.sets),
        count: n,
        error: p.errorCode === 0 ? null : wireError(p.errorCode),
        highWatermark: p.highWatermark,
        lastStableOffset: p.lastStableOffset,
        logStartOffset: p.logStartOffset,
      });
    }
    return { partitions, count };
  }

  async subscribe(req: SubscribeRequest, sink: PushSink): Promise<PushSubscription> {
    const own = req.flow.kind === "buffer";
    const conn = own ? await ReferenceClient.connect(this.client.options) : this.client;
    const sub = new RemotePushSubscription(conn, sink, req.flow.kind === "credit", own);
    try {
      check(
        await conn.request(APIS.subscribe, {
          subscriptionId: sub.id,
          isolation: req.isolation ?? "read_uncommitted",
          group: req.group ?? null,
          flow: req.flow,
          positions: req.partitions,
        }),
      );
    } catch (err) {
      if (own) conn.destroy();
      throw err;
    }
    return sub;
  }

  // ---------------------------------------------------------------- groups and offsets

  async joinGroup(req: JoinGroupRequest): Promise<MemberState> {
    return check(
      await this.client.request(APIS.joinGroup, {
        group: req.group,
        memberId: req.memberId,
        clientId: req.clientId ?? "",
        topics: req.topics,
        sessionTimeoutMs: req.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
        strategy: req.strategy ?? "range",
        mode: req.mode ?? "log",
      }),
    );
  }

  async heartbeat(req: { readonly group: string; readonly memberId: string }): Promise<MemberState> {
    return check(await this.client.request(APIS.heartbeat, req));
  }

  async leaveGroup(req: { readonly group: string; readonly memberId: string }): Promise<void> {
    check(await this.client.request(APIS.leaveGroup, req));
  }

  async commitTxnOffsets(req: {
    readonly producerId: number;
    readonly producerEpoch: number;
    readonly commit: CommitRequest;
  }): Promise<void> {
    const c = req.commit;
    check(
      await this.client.request(APIS.txnOffsetCommit, {
        producerId: req.producerId,
        producerEpoch: req.producerEpoch,
        group: c.group,
        memberId: c.memberId,
        generation: c.generation,
        offsets: c.offsets,
      }),
    );
  }

  async endTransaction(req: {
    readonly producerId: number;
    readonly producerEpoch: number;
    readonly commit: boolean;
  }): Promise<void> {
    check(await this.client.request(APIS.endTxn, req));
  }

  async commitOffsets(req: CommitRequest): Promise<void> {
    check(await this.client.request(APIS.offsetCommit, req));
  }

  async committedOffsets(
    group: string,
    partitions: readonly TopicPartitionRef[],
  ): Promise<readonly (TopicPartitionRef & { readonly offset: number | null })[]> {
    const r = check(await this.client.request(APIS.offsetFetch, { group, partitions }));
    return r.offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.offset >= 0 ? o.offset : null,
    }));
  }

  // ---------------------------------------------------------------- queue mode

  async queueSubscribe(
    member: MemberRef,
    options: QueueOptions,
    sink: QueueSink,
  ): Promise<QueueSubscription> {
    const queue = new PushQueue<readonly QueueDelivery[]>((batch) => sink.deliver(batch), null);
    const route = this.client.subscribePushes((body) => {
      const b = readPush(body);
      if (b.kind !== "queue") return;
      queue.push(
        b.messages.map((m) => ({
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          key: m.key,
          payload: m.payload,
          deliveryCount: m.deliveryCount,
          redelivered: m.deliveryCount > 1,
        })),
      );
    });
    try {
      check(
        await this.client.request(APIS.queueSubscribe, {
          subscriptionId: route.id,
          group: member.group,
          memberId: member.memberId,
          generation: member.generation,
          ackTimeoutMs: options.ackTimeoutMs,
          maxDeliveries: options.maxDeliveries,
          deadLetterTopic: options.deadLetterTopic,
          prefetch: options.prefetch,
          isolation: options.isolation,
        }),
      );
    } catch (err) {
      route.stop();
      throw err;
    }
    let closed = false;
    return {
      close: () => {
        if (closed) return;
        closed = true;
        queue.stop();
        route.stop();
        if (!this.client.closed)
          this.client.request(APIS.unsubscribe, { subscriptionId: route.id }).catch(() => {});
      },
    };
  }

  async queueSettle(req: {
    readonly group: string;
    readonly memberId: string;
    readonly acks: readonly FetchPosition[];
    readonly nacks?: readonly FetchPosition[];
  }): Promise<void> {
    check(
      await this.client.request(APIS.queueSettle, {
        group: req.group,
        memberId: req.memberId,
        acks: req.acks,
        nacks: req.nacks ?? [],
      }),
    );
  }

  // ---------------------------------------------------------------- the connection

  /** Closes after what was sent; requests still waiting fail with ConnectionClosedError. */
  close(): Promise<void> {
    return this.client.close();
  }

  /** Drops the connection at once, without a goodbye (a crashed client). */
  destroy(): void {
    this.client.destroy();
  }

  onClose(listener: (err: Error) => void): void {
    this.client.onClose(listener);
  }

  get closed(): boolean {
    return this.client.closed;
  }
}
