/**
 * The adapter contract: how the harness drives any system under test.
 *
 * The runner only ever talks to a broker through these interfaces. An adapter maps them onto the
 * broker's own client and real mechanisms; what the broker cannot do is declared `false` in its
 * capabilities and the runner reports the workload as *not supported* instead of faking it.
 *
 * Message identity travels inside the payload (the harness encodes it, see core/payload.ts):
 * adapters move opaque bytes and never decode them or invent ids, so a history is only as truthful
 * as the broker. A broker that deduplicates by message id gets the id beside the payload
 * (`OutgoingMessage.id`).
 */

import type { Capabilities } from "../core/capabilities.js";
import type { Predicate, Properties } from "../core/predicates.js";
import type { DeliveryMode, DeliveryStyle, StartPosition } from "../core/vocabulary.js";

// What a system under test can do is part of results.json too: its schema lives in core/.
export type { Capabilities } from "../core/capabilities.js";
// The delivery vocabulary is shared with the workload schema and the checkers; it lives in core/.
export {
  DELIVERY_MODES,
  DELIVERY_STYLES,
  type DeliveryMode,
  type DeliveryStyle,
  ORDER_SCOPES,
  type OrderScope,
  START_POSITIONS,
  type StartPosition,
} from "../core/vocabulary.js";

/** Every topic, queue, stream, group or subscription brokerbench creates on a broker starts with this. */
export const RESOURCE_PREFIX = "bb-";

/** Connection and tuning settings from `--set key=value` and the workload's `settings:` block. */
export type AdapterSettings = Readonly<Record<string, string>>;

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
}

export interface ProducerOptions {
  /** The history process id of this producer (unique in the run). */
  readonly process: number;
  readonly mode: DeliveryMode;
  /** Ask the broker to deduplicate retries (only when `capabilities.idempotentProduce`). */
  readonly idempotent: boolean;
}

export interface OutgoingMessage {
  readonly topic: string;
  /** Routing key; `null` lets the broker spread messages (round-robin or single partition). */
  readonly key: string | null;
  readonly payload: Uint8Array;
  /**
   * The message's identity (its history id, `<process>-<sequence>`), the same on every retry. Set
   * by the harness for exactly-once and idempotent producers, for brokers that deduplicate by a
   * message id the client gives (JetStream's `Nats-Msg-Id`); an adapter uses it for nothing else.
   */
  readonly id?: string;
  /** Message properties (only when `capabilities.predicates`): what a group's predicate is evaluated on. */
  readonly properties?: Properties;
}

/** What the broker acknowledged for one message. */
export interface SendAck {
  readonly partition: number;
  /** Offset / sequence the broker assigned; `null` where it exposes none. */
  readonly offset: number | null;
}

/**
 * Thrown by `Producer.send` when a batch was not acknowledged.
 * `definite: true`: the broker certainly did not take it (history `fail`);
 * `false`: the outcome is unknown, e.g. a timeout or a lost connection (history `info`).
 */
export class SendError extends Error {
  readonly definite: boolean;
  constructor(message: string, definite: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = "SendError";
    this.definite = definite;
  }
}

export interface Producer {
  /** Publishes a batch; resolves with one ack per message, in order, once the broker acknowledged all. */
  send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]>;
  /**
   * Sends again a batch (the same array) an earlier `send` published but whose acknowledgement was
   * lost, as the client's own retry would: an idempotent producer reuses that send's partitions and
   * sequence numbers so the broker drops what it already has (fault injection: producer-ack-loss).
   * Absent: the harness retries with `send`, which a broker can only deduplicate by content.
   */
  retry?(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]>;
  close(): Promise<void>;
}

/** One message as a consumer received it. */
export interface Delivery {
  readonly topic: string;
  /** Partition (or 0 where the broker has one stream per topic). */
  readonly partition: number;
  /** Offset / sequence; `null` where the broker exposes none. */
  readonly offset: number | null;
  readonly key: string | null;
  readonly payload: Uint8Array;
  /** The broker says it delivered this message before (redelivery flag), where it says so. */
  readonly redelivered: boolean;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A consumer's assignment changed (start, rebalance, seek); recorded as a history `assign` line. */
export interface Assignment {
  readonly partitions: readonly TopicPartition[];
  readonly from: StartPosition | readonly (TopicPartition & { readonly offset: number })[];
}

/**
 * What a commit marked as processed, exactly as the history `commit` line's value:
 * log model: next offsets to read per partition; queue model: acknowledged message ids are not
 * known to the adapter (ids live in payloads), so it reports how many it acknowledged and the
 * runner fills in the ids.
 */
export type CommitValue =
  | { readonly kind: "offsets"; readonly offsets: readonly (TopicPartition & { readonly offset: number })[] }
  | { readonly kind: "acks"; readonly count: number };

export interface ConsumerOptions {
  /** The history process id of this consumer (unique in the run; a restarted consumer gets a new one). */
  readonly process: number;
  readonly group: string;
  readonly topics: readonly string[];
  /**
   * Subscribe to these patterns instead of `topics` (only when `capabilities.filtering`). Neutral
   * syntax (NATS's): topic names are dot-separated segments; a segment `*` matches exactly one
   * segment, a last segment `>` one or more trailing segments. Each adapter translates it to its
   * broker's filter (MQTT `+`/`#`, AMQP topic exchange `*`/`#`, Redis glob, ...) and the broker matches.
   */
  readonly patterns?: readonly string[];
  /**
   * The group subscribes with this predicate over message properties (only when
   * `capabilities.predicates`): its consumers receive exactly the messages it matches. Every
   * consumer of one group passes the same one.
   */
  readonly predicate?: Predicate;
  readonly delivery: DeliveryStyle;
  readonly mode: DeliveryMode;
  readonly start: StartPosition;
  /** Push: how many unacknowledged messages the broker may have outstanding to this consumer. */
  readonly prefetch: number;
  /** Called whenever the broker (re)assigns partitions to this consumer, before their messages arrive. */
  readonly onAssign?: (assignment: Assignment) => void;
}

interface ConsumerBase {
  readonly delivery: DeliveryStyle;
  /**
   * Marks deliveries as processed: commits offsets (log) or acknowledges messages (queue).
   * Under at-most-once the runner calls it before processing; under at-least-once after.
   * Adapters whose broker acknowledges on delivery (auto-ack) return what was implicitly acknowledged.
   */
  commit(deliveries: readonly Delivery[]): Promise<CommitValue>;
  /** Leaves cleanly (commits nothing further). */
  close(): Promise<void>;
  /** Dies abruptly: no commit, no ack, no goodbye (fault injection). Defaults to `close` when absent. */
  kill?(): Promise<void>;
}

export interface PullConsumer extends ConsumerBase {
  readonly delivery: "pull";
  /** Fetches up to `max` messages, waiting up to `waitMs` when none is available; `[]` on timeout. */
  poll(max: number, waitMs: number): Promise<readonly Delivery[]>;
}

export interface PushConsumer extends ConsumerBase {
  readonly delivery: "push";
  /** Starts delivery; the adapter calls `onBatch` for each batch in arrival order, never concurrently. */
  start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void>;
}

export type Consumer = PullConsumer | PushConsumer;

/**
 * A producer whose writes and a consumer's offset commit take effect together or not at all
 * (Kafka's transactional producer with `sendOffsetsToTransaction`): the read-process-write step
 * of an exactly-once pipeline. Created per transactional id: creating one fences every older
 * instance of that id and aborts the transaction it left open. A transaction begins with the first
 * `send` or `sendOffsets` after the last `commit` or `abort`.
 */
export interface TransactionalProducer {
  /** Writes inside the open transaction; invisible to read-committed readers until it commits. */
  send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]>;
  /** Adds the offsets after `consumed`, as the group of `consumer` (the same adapter's), to the transaction. */
  sendOffsets(consumer: Consumer, consumed: readonly Delivery[]): Promise<CommitValue>;
  /**
   * Commits: the writes become visible and the offsets take effect, together. Throws `SendError`:
   * definite when the transaction was aborted instead (fenced, refused), unknown otherwise.
   */
  commit(): Promise<void>;
  /** Aborts the open transaction: none of its writes or offsets take effect. */
  abort(): Promise<void>;
  close(): Promise<void>;
  /** Dies abruptly, its open transaction left to be aborted by the next instance (fault injection). */
  kill?(): Promise<void>;
}

/** A connected system under test. */
export interface Adapter {
  readonly capabilities: Capabilities;
  /** Versions of the client library and the server, for the report's environment section. */
  versions(): Promise<Readonly<Record<string, string>>>;
  /** Creates the topic fresh for this run (removing what a previous run left under that name). */
  createTopic(spec: TopicSpec): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  /**
   * Removes every resource on the broker whose name starts with `prefix` (topics, streams, queues,
   * exchanges, durable consumers and subscriptions, consumer groups) whatever run created it, and
   * returns the names it removed. `brokerbench clean` and the teardown of an interrupted run use
   * it; every name brokerbench creates starts with RESOURCE_PREFIX. Absent: the adapter cannot list
   * its broker's resources, and `clean` says so.
   */
  clean?(prefix: string): Promise<readonly string[]>;
  /**
   * Makes a group's subscription to a topic, with its predicate (null: every message), as a group
   * would have before any of its consumers connects: from now on the broker matches each message
   * against it. Removed with the topic. Present only where `capabilities.predicates`.
   */
  createSubscription?(subscription: {
    readonly topic: string;
    readonly group: string;
    readonly predicate: Predicate | null;
  }): Promise<void>;
  createProducer(options: ProducerOptions): Promise<Producer>;
  createConsumer(options: ConsumerOptions): Promise<Consumer>;
  /**
   * A transactional producer for `transactionalId` (present only where `capabilities.transactions`):
   * what an exactly-once pipeline's processors write with.
   */
  createTransactionalProducer?(options: {
    readonly process: number;
    readonly transactionalId: string;
  }): Promise<TransactionalProducer>;
  /**
   * Reads one partition from its first retained message to its end as of the call, outside any
   * group; committed messages only where the broker has transactions (an open transaction on it is
   * waited for, up to `timeoutMs`). What a restarting pipeline processor restores its state from.
   * Absent: the adapter cannot read a partition to its end, and pipelines are not supported.
   */
  readPartition?(topic: string, partition: number, timeoutMs: number): Promise<readonly Delivery[]>;
  close(): Promise<void>;
}

/** How the harness finds and connects an adapter. One per folder under adapters/. */
export interface AdapterFactory {
  /** The `--adapter` name. */
  readonly name: string;
  readonly description: string;
  readonly capabilities: Capabilities;
  /**
   * Capabilities under these settings, where a setting changes them (e.g. the reference broker's
   * `queue=true` switches to the queue model). Absent: `capabilities` whatever the settings.
   * The runner and `list` should use `capabilitiesOf(factory, settings)`.
   */
  capabilitiesFor?(settings: AdapterSettings): Capabilities;
  /** Settings with their defaults and meaning, for `brokerbench list` and `--help`. */
  readonly settings: Readonly<Record<string, { readonly default: string; readonly description: string }>>;
  /**
   * Connects; must fail within a few seconds with an error naming the address when the broker is
   * unreachable (throw `BrokerUnreachableError`).
   */
  connect(settings: AdapterSettings): Promise<Adapter>;
}

/** The capabilities a factory declares under these settings. */
export function capabilitiesOf(factory: AdapterFactory, settings: AdapterSettings): Capabilities {
  return factory.capabilitiesFor?.(settings) ?? factory.capabilities;
}

export class BrokerUnreachableError extends Error {
  readonly address: string;
  constructor(adapter: string, address: string, cause?: unknown) {
    super(
      `${adapter}: cannot reach the broker at ${address}${cause instanceof Error ? ` (${cause.message})` : ""}; ` +
        `start it or point --set url=... at it`,
      { cause },
    );
    this.name = "BrokerUnreachableError";
    this.address = address;
  }
}

/** The delivery modes the broker provides with this delivery style. */
export function deliveryModesOf(caps: Capabilities, style: DeliveryStyle): readonly DeliveryMode[] {
  return caps.deliveryModesByStyle?.[style] ?? caps.deliveryModes;
}

/** Why a workload cannot run on an adapter, or `null` when it can. Used by the runner and `list`. */
export function unsupportedReason(
  caps: Capabilities,
  need: {
    readonly delivery: DeliveryStyle;
    readonly mode: DeliveryMode;
    readonly groups: number;
    readonly consumersPerGroup: number;
    readonly partitions: number;
    readonly start: StartPosition;
    /** Pattern subscriptions per consumer (workload `filters`); 0 or absent: plain topics. */
    readonly filters?: number;
    /** Groups subscribe with predicates over message properties (workload `predicates`). */
    readonly predicates?: boolean;
  },
): string | null {
  if (need.delivery === "push" && !caps.push) return "push delivery is not supported";
  if (need.delivery === "pull" && !caps.pull) return "pull delivery is not supported";
  if (!caps.deliveryModes.includes(need.mode)) return `delivery mode ${need.mode} is not supported`;
  if (!deliveryModesOf(caps, need.delivery).includes(need.mode))
    return `delivery mode ${need.mode} is not supported with ${need.delivery} delivery`;
  if (need.consumersPerGroup > 1 && !caps.queue)
    return "competing consumers in one group (queue) are not supported";
  if (need.groups > 1 && !caps.pubsub) return "several groups on one topic (pub-sub) are not supported";
  if (need.partitions > 1 && !caps.partitions) return "more than one partition per topic is not supported";
  if (need.start === "earliest" && !caps.replay)
    return "starting from the earliest message (replay) is not supported";
  if (need.predicates === true) {
    // With predicates, `filters` counts predicate subscriptions, not patterns.
    if (caps.predicates !== true) return "predicate subscriptions (property filters) are not supported";
  } else if ((need.filters ?? 0) > 0 && caps.filtering !== true)
    return "pattern subscriptions (filters) are not supported";
  return null;
}
