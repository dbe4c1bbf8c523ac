/**
 * RabbitMQ through amqplib. A topic is a fanout exchange; a group is a durable queue bound to it
 * (`<topic>.<group>`), so every group gets every message (pub-sub) and the consumers of one group
 * compete for its queue (queue). Push is basic.consume with basic.qos prefetch; pull is basic.get
 * polling. At-least-once: publisher confirms, persistent messages, manual acks. At-most-once: no
 * confirms, auto-ack (the broker forgets a message as it writes it to the socket).
 */

import { createHash } from "node:crypto";
import { once } from "node:events";
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage } from "amqplib";
import { UsageError } from "../../core/errors.js";
import {
  type Adapter,
  type CommitValue,
  type Consumer,
  type ConsumerOptions,
  type Delivery,
  type OutgoingMessage,
  type Producer,
  type ProducerOptions,
  type PullConsumer,
  type PushConsumer,
  RESOURCE_PREFIX,
  type SendAck,
  SendError,
  type TopicSpec,
} from "../contract.js";
import { amqpBindingKey, amqpRoutingKey } from "../patterns.js";
import { PushBatches } from "../push-batches.js";
import { amqplibVersion, connectAmqp, destroySocket, serverProduct, serverVersion } from "./connection.js";
import { CAPABILITIES, NAME } from "./descriptor.js";
import { listAmqpResources } from "./listing.js";

export { CAPABILITIES, NAME } from "./descriptor.js";

/**
 * The topic exchange the topics' fanout exchanges are bound to (exchange-to-exchange) once a
 * pattern consumer exists, so that a message's routing key, its topic's name, can be matched by
 * pattern bindings across topics. Only topics this adapter created are bound.
 */
export const PATTERN_EXCHANGE = `${RESOURCE_PREFIX}patterns`;
/** The message key travels in this header (the routing key carries the topic name). */
export const KEY_HEADER = "bb-key";
/** Channels binding a pattern queue's keys in parallel (one channel's RPCs go one at a time). */
const BIND_CHANNELS = 8;

export interface RabbitSettings {
  readonly url: string;
  /** basic.get polling: pause between empty gets. */
  readonly pollIntervalMs: number;
  /** Most deliveries handed to one onBatch call. */
  readonly maxBatch: number;
  /** The management API (for `clean`); "" means port 15672 on the AMQP host. */
  readonly managementUrl: string;
  /** The type of the groups' queues: classic (RabbitMQ's default) or quorum (Raft, fsynced). */
  readonly queueType: "classic" | "quorum";
}

function refuse(o: { delivery?: string; mode: string }): void {
  if (!CAPABILITIES.deliveryModes.includes(o.mode as never)) {
    throw new UsageError(`${NAME}: delivery mode ${o.mode} is not supported`);
  }
  if (o.delivery === "push" && !CAPABILITIES.push) throw new UsageError(`${NAME}: push is not supported`);
}

export function queueName(topic: string, group: string): string {
  return `${topic}.${group}`;
}

/** A group's queue for a pattern list: named by the group and a digest of its patterns. */
export function patternQueueName(group: string, patterns: readonly string[]): string {
  const digest = createHash("sha256").update(patterns.join("\n")).digest("hex").slice(0, 12);
  return `${RESOURCE_PREFIX}patterns.${group}.${digest}`;
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class RabbitAdapter implements Adapter {
  readonly capabilities = CAPABILITIES;
  /** Topics created by this run, with the groups whose queue this run already declared fresh. */
  private readonly freshGroups = new Map<string, Set<string>>();
  /** The declaration of each group's queue in this run (see declareGroup). */
  private readonly declaring = new Map<string, Promise<void>>();
  /** Pattern queues this adapter declared (deleted at close). */
  private readonly patternQueues = new Set<string>();

  private constructor(
    private readonly admin: ChannelModel,
    private readonly settings: RabbitSettings,
  ) {}

  static async connect(settings: RabbitSettings): Promise<RabbitAdapter> {
    return new RabbitAdapter(await connectAmqp(NAME, settings.url, "brokerbench-admin"), settings);
  }

  /** A short-lived channel per topology operation: a failed operation closes its channel. */
  private async withChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await this.admin.createChannel();
    ch.on("error", () => {});
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => {});
    }
  }

  async versions(): Promise<Readonly<Record<string, string>>> {
    return { amqplib: amqplibVersion(), [serverProduct(this.admin)]: serverVersion(this.admin) };
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    if (spec.partitions !== 1) {
      throw new UsageError(
        `${NAME}: a queue is one ordered stream; ${spec.partitions} partitions are not supported`,
      );
    }
    amqpRoutingKey(spec.name, NAME);
    const known = this.freshGroups.get(spec.name) ?? new Set<string>();
    await this.withChannel(async (ch) => {
      for (const group of known) await ch.deleteQueue(queueName(spec.name, group));
      // Deleting the exchange drops every binding a previous run left; its queues are deleted when
      // this run's first consumer of that group declares them.
      await ch.deleteExchange(spec.name);
      await ch.assertExchange(spec.name, "fanout", { durable: true });
      if (this.patternQueues.size > 0) await ch.bindExchange(PATTERN_EXCHANGE, spec.name, "");
    });
    this.freshGroups.set(spec.name, new Set());
    for (const group of known) this.declaring.delete(queueName(spec.name, group));
  }

  async deleteTopic(name: string): Promise<void> {
    const known = this.freshGroups.get(name) ?? new Set<string>();
    await this.withChannel(async (ch) => {
      for (const group of known) await ch.deleteQueue(queueName(name, group));
      await ch.deleteExchange(name);
    });
    this.freshGroups.delete(name);
    for (const group of known) this.declaring.delete(queueName(name, group));
  }

  /** Declares the group's queue and binds it; the first time in a run, a leftover queue goes first. */
  private async declareGroup(topic: string, group: string): Promise<string> {
    const queue = queueName(topic, group);
    const fresh = this.freshGroups.get(topic);
    // Consumers of one group created concurrently share one declaration: only the first deletes.
    let declared = this.declaring.get(queue);
    if (declared === undefined || (fresh !== undefined && !fresh.has(group))) {
      const deleteFirst = fresh !== undefined && !fresh.has(group);
      fresh?.add(group);
      declared = this.withChannel(async (ch) => {
        if (deleteFirst) await ch.deleteQueue(queue);
        await ch.assertQueue(queue, queueOptions(this.settings.queueType));
        await ch.bindQueue(queue, topic, "");
      });
      this.declaring.set(queue, declared);
    }
    try {
      await declared;
    } catch (err) {
      this.declaring.delete(queue);
      fresh?.delete(group);
      throw err;
    }
    return queue;
  }

  /**
   * Deletes the queues, then the exchanges, named with `prefix` (their bindings go with them).
   * AMQP cannot list them: listAmqpResources asks the management API or rabbitmqctl.
   */
  async clean(prefix: string): Promise<readonly string[]> {
    const { queues, exchanges } = await listAmqpResources(this.settings.url, this.settings.managementUrl);
    const doomedQueues = queues.filter((q) => q.startsWith(prefix)).sort();
    const doomedExchanges = exchanges.filter((e) => e.startsWith(prefix)).sort();
    await this.withChannel(async (ch) => {
      for (const q of doomedQueues) await ch.deleteQueue(q);
      for (const e of doomedExchanges) await ch.deleteExchange(e);
    });
    for (const q of doomedQueues) this.patternQueues.delete(q);
    this.freshGroups.clear();
    this.declaring.clear();
    return [...doomedQueues.map((q) => `queue ${q}`), ...doomedExchanges.map((e) => `exchange ${e}`)];
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    refuse({ mode: options.mode });
    const model = await connectAmqp(NAME, this.settings.url, `brokerbench-p${options.process}`);
    try {
      const confirm = options.mode === "at-least-once";
      const channel = confirm ? await model.createConfirmChannel() : await model.createChannel();
      channel.on("error", () => {});
      return new RabbitProducer(model, channel, confirm);
    } catch (err) {
      await model.close().catch(() => {});
      throw err;
    }
  }

  async createConsumer(options: ConsumerOptions): Promise<Consumer> {
    refuse(options);
    if (options.start === "earliest") {
      throw new UsageError(
        `${NAME}: starting from the earliest message is not supported (queues do not replay)`,
      );
    }
    if (options.patterns !== undefined) return this.createPatternConsumer(options);
    if (options.topics.length !== 1) {
      throw new UsageError(`${NAME}: a consumer reads one topic (one queue); got ${options.topics.length}`);
    }
    const topic = options.topics[0] as string;
    const queue = await this.declareGroup(topic, options.group);
    const model = await connectAmqp(NAME, this.settings.url, `brokerbench-c${options.process}`);
    try {
      const channel = await model.createChannel();
      channel.on("error", () => {});
      // The queue keeps what its group has not acknowledged: a new consumer continues from there.
      options.onAssign?.({ partitions: [{ topic, partition: 0 }], from: "committed" });
      const base = { model, channel, topic, queue, options };
      return options.delivery === "push"
        ? new RabbitPushConsumer(base, this.settings.maxBatch)
        : new RabbitPullConsumer(base, this.settings.pollIntervalMs);
    } catch (err) {
      await model.close().catch(() => {});
      throw err;
    }
  }

  /**
   * A pattern consumer: its group's queue is bound to the topic exchange once per pattern. AMQP
   * routes a message to a queue once however many of its bindings match.
   */
  private async createPatternConsumer(options: ConsumerOptions): Promise<Consumer> {
    const patterns = options.patterns ?? [];
    const keys = [...new Set(patterns.map((p) => amqpBindingKey(p, NAME)))];
    const queue = patternQueueName(options.group, patterns);
    let declared = this.declaring.get(queue);
    if (declared === undefined) {
      this.patternQueues.add(queue);
      declared = this.declarePatternQueue(queue, keys);
      this.declaring.set(queue, declared);
    }
    try {
      await declared;
    } catch (err) {
      this.declaring.delete(queue);
      this.patternQueues.delete(queue);
      throw err;
    }
    const model = await connectAmqp(NAME, this.settings.url, `brokerbench-c${options.process}`);
    try {
      const channel = await model.createChannel();
      channel.on("error", () => {});
      const base = { model, channel, topic: null, queue, options };
      return options.delivery === "push"
        ? new RabbitPushConsumer(base, this.settings.maxBatch)
        : new RabbitPullConsumer(base, this.settings.pollIntervalMs);
    } catch (err) {
      await model.close().catch(() => {});
      throw err;
    }
  }

  /**
   * Fresh queue (a leftover of a previous run is deleted first), one binding per key. The topics'
   * exchanges feed the topic exchange only from the first pattern consumer on: that hop costs
   * plain runs ≈ 11 % of confirmed publish throughput (README).
   */
  private async declarePatternQueue(queue: string, keys: readonly string[]): Promise<void> {
    await this.withChannel(async (ch) => {
      await ch.assertExchange(PATTERN_EXCHANGE, "topic", { durable: true });
      for (const topic of this.freshGroups.keys()) await ch.bindExchange(PATTERN_EXCHANGE, topic, "");
      await ch.deleteQueue(queue);
      await ch.assertQueue(queue, queueOptions(this.settings.queueType));
    });
    let next = 0;
    const lanes = Array.from({ length: Math.min(BIND_CHANNELS, keys.length) }, () =>
      this.withChannel(async (ch) => {
        while (next < keys.length) await ch.bindQueue(queue, PATTERN_EXCHANGE, keys[next++] as string);
      }),
    );
    await Promise.all(lanes);
  }

  async close(): Promise<void> {
    // Pattern queues are this run's alone: left behind, their bindings would go on costing every
    // later publish a match in the topic exchange.
    if (this.patternQueues.size > 0) {
      await this.withChannel(async (ch) => {
        for (const q of this.patternQueues) await ch.deleteQueue(q);
      }).catch(() => {});
    }
    await this.admin.close().catch(() => {});
  }
}

class RabbitProducer implements Producer {
  constructor(
    private readonly model: ChannelModel,
    private readonly channel: Channel | ConfirmChannel,
    private readonly confirm: boolean,
  ) {}

  async send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    const confirmed: Promise<void>[] = [];
    try {
      for (const m of batch) {
        const body = toBuffer(m.payload);
        let writable: boolean;
        if (this.confirm) {
          let settle!: (err: unknown) => void;
          confirmed.push(
            new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve()))),
          );
          writable = (this.channel as ConfirmChannel).publish(
            m.topic,
            m.topic,
            body,
            m.key === null ? { persistent: true } : { persistent: true, headers: { [KEY_HEADER]: m.key } },
            (err) => settle(err),
          );
        } else {
          writable = this.channel.publish(
            m.topic,
            m.topic,
            body,
            m.key === null ? {} : { headers: { [KEY_HEADER]: m.key } },
          );
        }
        if (!writable) await once(this.channel, "drain");
      }
      await Promise.all(confirmed);
    } catch (err) {
      // A nack or a closed channel: the broker may or may not hold some of the batch.
      await Promise.allSettled(confirmed);
      throw new SendError(`${NAME}: publish not confirmed: ${(err as Error).message}`, false, { cause: err });
    }
    // Confirmed (at-least-once) or written to the socket (at-most-once); AMQP exposes no offset.
    return batch.map(() => ({ partition: 0, offset: null }));
  }

  async close(): Promise<void> {
    // channel.close travels behind this channel's publishes; a bare connection.close can overtake
    // unconfirmed publishes still buffered in amqplib, and the broker then drops them.
    await this.channel.close().catch(() => {});
    await this.model.close().catch(() => {});
  }
}

interface ConsumerBase {
  readonly model: ChannelModel;
  readonly channel: Channel;
  /** The topic of a plain consumer; null for a pattern consumer (each message's routing key). */
  readonly topic: string | null;
  readonly queue: string;
  readonly options: ConsumerOptions;
}

abstract class RabbitConsumer {
  protected readonly noAck: boolean;
  protected readonly messages = new WeakMap<Delivery, ConsumeMessage | GetMessage>();
  protected closed = false;

  constructor(protected readonly base: ConsumerBase) {
    this.noAck = base.options.mode === "at-most-once";
  }

  protected toDelivery(msg: ConsumeMessage | GetMessage): Delivery {
    const key: unknown = msg.properties.headers?.[KEY_HEADER];
    const d: Delivery = {
      topic: this.base.topic ?? msg.fields.routingKey,
      partition: 0,
      offset: null,
      key: key === undefined || key === null ? null : String(key),
      payload: msg.content,
      redelivered: msg.fields.redelivered,
    };
    this.messages.set(d, msg);
    return d;
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    // Auto-ack: the broker already counted each as acknowledged when it sent it.
    if (!this.noAck) {
      for (const d of deliveries) {
        const msg = this.messages.get(d);
        if (msg === undefined) throw new Error(`${NAME}: commit of a delivery this consumer did not make`);
        this.base.channel.ack(msg);
      }
    }
    return { kind: "acks", count: deliveries.length };
  }

  protected async stop(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stop().catch(() => {});
    // Closing returns what is still unacknowledged to the queue (redelivered to another consumer).
    await this.base.model.close().catch(() => {});
  }

  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    destroySocket(this.base.model);
  }
}

class RabbitPushConsumer extends RabbitConsumer implements PushConsumer {
  readonly delivery = "push" as const;
  private readonly batches: PushBatches<Delivery>;
  private consumerTag: string | null = null;

  constructor(base: ConsumerBase, maxBatch: number) {
    super(base);
    // Messages of one socket read arrive in one tick: handed over as one batch.
    this.batches = new PushBatches(maxBatch, { coalesce: "turn" });
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    this.batches.start(onBatch);
    const { channel, queue, options } = this.base;
    // basic.qos bounds unacknowledged deliveries; it has no effect on auto-ack consumers.
    if (!this.noAck) await channel.prefetch(Math.max(1, options.prefetch));
    const reply = await channel.consume(
      queue,
      (msg) => {
        if (msg === null || this.closed) return; // null: the broker cancelled the consumer
        this.batches.push(this.toDelivery(msg));
      },
      { noAck: this.noAck },
    );
    this.consumerTag = reply.consumerTag;
  }

  protected override async stop(): Promise<void> {
    if (this.consumerTag !== null) await this.base.channel.cancel(this.consumerTag);
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

class RabbitPullConsumer extends RabbitConsumer implements PullConsumer {
  readonly delivery = "pull" as const;

  constructor(
    base: ConsumerBase,
    private readonly pollIntervalMs: number,
  ) {
    super(base);
  }

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    const out: Delivery[] = [];
    const deadline = Date.now() + waitMs;
    while (out.length < max && !this.closed) {
      const msg = await this.base.channel.get(this.base.queue, { noAck: this.noAck });
      if (msg !== false) {
        out.push(this.toDelivery(msg));
        continue;
      }
      if (out.length > 0 || Date.now() >= deadline) break;
      await sleep(Math.min(this.pollIntervalMs, Math.max(0, deadline - Date.now())));
    }
    return out;
  }
}

export function parseSettings(
  settings: Readonly<Record<string, string>>,
  defaults: { url: string },
): RabbitSettings {
  const int = (key: string, fallback: number, min: number): number => {
    const raw = settings[key];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`setting ${key}=${raw}: expected an integer ≥ ${min}`);
    return n;
  };
  return {
    url: settings.url ?? defaults.url,
    pollIntervalMs: int("pollIntervalMs", 5, 0),
    maxBatch: int("maxBatch", 100, 1),
    managementUrl: settings["managementUrl"] ?? "",
    queueType: queueTypeOf(settings["queueType"]),
  };
}

function queueTypeOf(raw: string | undefined): "classic" | "quorum" {
  if (raw === undefined || raw === "" || raw === "classic") return "classic";
  if (raw === "quorum") return "quorum";
  throw new UsageError(`setting queueType=${raw}: expected classic or quorum`);
}

/** A group's queue: durable always; a quorum queue says so in its arguments (classic is the default). */
function queueOptions(type: "classic" | "quorum"): { durable: true; arguments?: Record<string, string> } {
  return type === "quorum" ? { durable: true, arguments: { "x-queue-type": "quorum" } } : { durable: true };
}
