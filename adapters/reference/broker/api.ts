/**
 * What a client needs from a broker: the seam between the reference client (adapter, producer, log
 * and queue consumers, in ../client/) and a broker, as `QueueHost` (queue.ts) is the seam between a
 * queue and the broker. The client never knows the transport: in process `Broker` implements this
 * interface itself; over TCP `RemoteBroker` (../client/remote-broker.ts) mirrors the server's
 * handlers, one request type per method.
 *
 * Every refusal is a `BrokerError` from the one table (errors.ts), whichever side answers; over TCP
 * the wire code is mapped back through that table. A lost connection is not a refusal: its
 * outcome is unknown (client/client.ts `ConnectionClosedError`, `RequestTimeoutError`).
 * Answers the in-process broker gives at once are `Awaitable`, so it pays no promise for them.
 */
import type { TopicPartitionRef } from "./assignors.js";
import type {
  CommitRequest,
  FetchPosition,
  FetchRequest,
  FetchResult,
  JoinGroupRequest,
  MemberRef,
  MemberState,
  ProduceRequest,
  ProduceResult,
  ProducerIdentity,
  SubscribeRequest,
  TopicInfo,
} from "./broker.js";
import type { QueueOptions, QueueSink } from "./queue.js";
import type { PushSink } from "./subscription.js";

export type Awaitable<T> = T | Promise<T>;

/** A push subscription as its subscriber holds it. */
export interface PushSubscription {
  /** Credit flow: the broker may push `n` more messages. */
  grant(n: number): void;
  /**
   * Moves the subscription to new positions (rebalance, seek). Chunks already on their way may
   * still arrive; the subscriber drops what lies before its positions.
   */
  reassign(positions: readonly FetchPosition[]): void;
  /** Ends it; no delivery follows (in flight over TCP: dropped by the subscriber). */
  close(): void;
}

/** A queue-mode member's delivery stream. */
export interface QueueSubscription {
  /** Stops deliveries to this member; what it holds unacked is redelivered after its ack timeout or when it leaves. */
  close(): void;
}

export interface BrokerApi {
  // topics
  listTopics(): Awaitable<readonly TopicInfo[]>;
  createTopic(name: string, partitions: number): Promise<void>;
  deleteTopic(name: string): Promise<void>;

  // produce
  initProducerId(req: {
    readonly transactionalId?: string | null;
    readonly transactionTimeoutMs?: number;
  }): Promise<ProducerIdentity>;
  /** One batch to one partition; answered as `acks` asks. A refusal may be thrown at once. */
  produce(req: ProduceRequest): Awaitable<ProduceResult>;
  /** A group's offsets inside the producer's open transaction (Kafka's TxnOffsetCommit). */
  commitTxnOffsets(req: {
    readonly producerId: number;
    readonly producerEpoch: number;
    readonly commit: CommitRequest;
  }): Promise<void>;
  /** Commits or aborts the producer's open transaction (Kafka's EndTxn). */
  endTransaction(req: {
    readonly producerId: number;
    readonly producerEpoch: number;
    readonly commit: boolean;
  }): Promise<void>;

  // read
  listOffset(topic: string, partition: number, which: "earliest" | "latest"): Awaitable<number>;
  /** Per-partition errors (OFFSET_OUT_OF_RANGE with the log bounds, ...) are data in the answer. */
  fetch(req: FetchRequest): Promise<FetchResult>;
  /**
   * Push delivery to `sink`; `sink.deliver` is never called again before the previous call (and
   * the promise it returned) finished.
   */
  subscribe(req: SubscribeRequest, sink: PushSink): Awaitable<PushSubscription>;

  // groups and offsets
  joinGroup(req: JoinGroupRequest): Awaitable<MemberState>;
  heartbeat(req: { readonly group: string; readonly memberId: string }): Awaitable<MemberState>;
  leaveGroup(req: { readonly group: string; readonly memberId: string }): Awaitable<void>;
  commitOffsets(req: CommitRequest): Promise<void>;
  committedOffsets(
    group: string,
    partitions: readonly TopicPartitionRef[],
  ): Awaitable<readonly (TopicPartitionRef & { readonly offset: number | null })[]>;

  // queue mode
  queueSubscribe(member: MemberRef, options: QueueOptions, sink: QueueSink): Awaitable<QueueSubscription>;
  queueSettle(req: {
    readonly group: string;
    readonly memberId: string;
    readonly acks: readonly FetchPosition[];
    readonly nacks?: readonly FetchPosition[];
  }): Promise<void>;
}
