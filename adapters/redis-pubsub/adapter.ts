/**
 * Redis Pub/Sub through ioredis: PUBLISH to a channel per topic, SUBSCRIBE on a dedicated
 * connection per consumer. Fire-and-forget: the server keeps nothing, so what a subscriber is not
 * connected for, or cannot take fast enough (client-output-buffer-limit pubsub), is gone.
 */
import type { Redis } from "ioredis";
import { UsageError } from "../../core/errors.js";
import {
  type Adapter,
  type AdapterSettings,
  type CommitValue,
  type Consumer,
  type ConsumerOptions,
  type Delivery,
  type OutgoingMessage,
  type Producer,
  type ProducerOptions,
  type PushConsumer,
  type SendAck,
  SendError,
  type TopicSpec,
} from "../contract.js";
import { redisGlob } from "../patterns.js";
import { PushBatches } from "../push-batches.js";
import { connectRedis, ioredisVersion, redisServerVersion } from "./connection.js";

import { CAPABILITIES, NAME } from "./descriptor.js";

export { CAPABILITIES, NAME } from "./descriptor.js";

export interface PubSubSettings {
  readonly url: string;
  /** Subscriber reconnects and resubscribes (ioredis' own behaviour) after the server drops it. */
  readonly resubscribe: boolean;
  /** Most deliveries handed to one onBatch call. */
  readonly maxBatch: number;
}

function refuse(o: { delivery: string; mode: string }): void {
  if (o.delivery !== "push") {
    throw new UsageError(`${NAME}: ${o.delivery} delivery is not supported (Redis Pub/Sub only pushes)`);
  }
  if (!CAPABILITIES.deliveryModes.includes(o.mode as never)) {
    throw new UsageError(
      `${NAME}: delivery mode ${o.mode} is not supported (Redis Pub/Sub is fire-and-forget)`,
    );
  }
}

export class RedisPubSubAdapter implements Adapter {
  readonly capabilities = CAPABILITIES;
  /** Groups with a live subscriber: a second one would not compete, it would get everything too. */
  private readonly liveGroups = new Set<string>();

  private constructor(
    private readonly admin: Redis,
    private readonly settings: PubSubSettings,
  ) {}

  static async connect(settings: PubSubSettings): Promise<RedisPubSubAdapter> {
    const admin = await connectRedis(NAME, settings.url, { name: "brokerbench-admin" });
    return new RedisPubSubAdapter(admin, settings);
  }

  async versions(): Promise<Readonly<Record<string, string>>> {
    return { ioredis: ioredisVersion(), redis: await redisServerVersion(this.admin) };
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    if (spec.partitions !== 1) {
      throw new UsageError(
        `${NAME}: a channel is one stream; ${spec.partitions} partitions are not supported`,
      );
    }
    // A channel has no state on the server: nothing to create, nothing left over to remove.
  }

  async deleteTopic(_name: string): Promise<void> {}

  /** A channel exists only while subscribed: the broker keeps nothing brokerbench could leave behind. */
  async clean(_prefix: string): Promise<readonly string[]> {
    return [];
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    refuse({ delivery: "push", mode: options.mode });
    const redis = await connectRedis(NAME, this.settings.url, { name: `brokerbench-p${options.process}` });
    return new PubSubProducer(redis);
  }

  async createConsumer(options: ConsumerOptions): Promise<Consumer> {
    refuse(options);
    if (options.start === "earliest") {
      throw new UsageError(
        `${NAME}: starting from the earliest message is not supported (nothing is retained)`,
      );
    }
    // Translated (and refused where glob cannot say it) before anything connects.
    const globs = options.patterns?.map((p) => redisGlob(p, NAME));
    const key = `${options.group}\u0000${(options.patterns ?? options.topics).join("\u0000")}`;
    if (this.liveGroups.has(key)) {
      throw new UsageError(
        `${NAME}: group ${options.group} already has a subscriber; Redis Pub/Sub has no competing consumers`,
      );
    }
    // Taken before the first await, so two concurrent creations of one group cannot both pass.
    this.liveGroups.add(key);
    let redis: Redis;
    try {
      redis = await connectRedis(NAME, this.settings.url, {
        name: `brokerbench-c${options.process}`,
        reconnect: this.settings.resubscribe,
      });
    } catch (err) {
      this.liveGroups.delete(key);
      throw err;
    }
    return new PubSubConsumer(redis, options, globs ?? null, this.settings.maxBatch, () =>
      this.liveGroups.delete(key),
    );
  }

  async close(): Promise<void> {
    await this.admin.quit().catch(() => this.admin.disconnect(false));
  }
}

class PubSubProducer implements Producer {
  constructor(private readonly redis: Redis) {}

  async send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    const pipeline = this.redis.pipeline();
    for (const m of batch)
      pipeline.publish(m.topic, Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength));
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      throw new SendError(`${NAME}: PUBLISH outcome unknown: ${(err as Error).message}`, false, {
        cause: err,
      });
    }
    if (results === null) throw new SendError(`${NAME}: PUBLISH outcome unknown (connection closed)`, false);
    const failed = results.find(([err]) => err !== null);
    if (failed) {
      // A reply error means the server executed and refused it; a connection error leaves it unknown.
      const err = failed[0] as Error;
      throw new SendError(`${NAME}: PUBLISH failed: ${err.message}`, err.name === "ReplyError", {
        cause: err,
      });
    }
    // The server accepted the message; how many subscribers it reached is not an acknowledgement.
    return batch.map(() => ({ partition: 0, offset: null }));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect(false));
  }
}

/**
 * Push consumer. Deliveries queue in memory and go to `onBatch` one batch at a time; when more than
 * `prefetch` wait, the socket is paused so the backlog stays on the server (where Redis applies
 * client-output-buffer-limit) instead of growing without bound in this process.
 */
class PubSubConsumer implements PushConsumer {
  readonly delivery = "push" as const;
  private readonly batches: PushBatches<Delivery>;
  private paused = false;
  private closed = false;
  private subscribedOnce = false;
  /** Times the subscriber came back after losing its connection (each a gap in what it saw). */
  reconnects = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: ConsumerOptions,
    /** PSUBSCRIBE these instead of SUBSCRIBE to the topics. */
    private readonly globs: readonly string[] | null,
    maxBatch: number,
    private readonly release: () => void,
  ) {
    this.batches = new PushBatches(maxBatch, {
      coalesce: "none",
      afterBatch: (waiting) => {
        if (this.paused && waiting <= this.options.prefetch / 2) {
          this.paused = false;
          this.redis.stream.resume();
        }
      },
    });
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    this.batches.start(onBatch);
    const receive = (channel: Buffer, message: Buffer): void => {
      // Counted with this message, before a batch of them is handed over.
      if (!this.paused && this.batches.size + 1 >= Math.max(1, this.options.prefetch)) {
        this.paused = true;
        this.redis.stream.pause();
      }
      this.batches.push({
        topic: channel.toString(),
        partition: 0,
        offset: null,
        key: null,
        payload: message,
        redelivered: false,
      });
    };
    this.redis.on("messageBuffer", receive);
    this.redis.on("pmessageBuffer", (_pattern: Buffer, channel: Buffer, message: Buffer) =>
      receive(channel, message),
    );
    // After the server dropped us and ioredis resubscribed: a new assignment, from the latest message.
    this.redis.on("ready", () => {
      if (!this.subscribedOnce || this.closed) return;
      this.reconnects++;
      this.assigned();
      // A new socket: it starts flowing; hold it back too if the backlog is still over the bound.
      this.paused = false;
      if (this.batches.size >= Math.max(1, this.options.prefetch)) {
        this.paused = true;
        this.redis.stream.pause();
      }
    });
    if (this.globs === null) await this.redis.subscribe(...this.options.topics);
    else await this.redis.psubscribe(...this.globs);
    this.subscribedOnce = true;
    this.assigned();
  }

  private assigned(): void {
    // A pattern's channels are whatever the server matches: no assignment to report.
    if (this.globs !== null) return;
    this.options.onAssign?.({
      partitions: this.options.topics.map((topic) => ({ topic, partition: 0 })),
      from: "latest",
    });
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    // Nothing to acknowledge: the server forgot each message once it wrote it to the socket.
    return { kind: "acks", count: deliveries.length };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.batches.stop();
    await this.redis.quit().catch(() => this.redis.disconnect(false));
    // A delivery handler that threw stopped delivery there (push-batches.ts): say so.
    if (this.batches.error !== null) throw this.batches.error;
  }

  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.batches.stop();
    this.redis.disconnect(false);
  }
}

export function parseSettings(settings: AdapterSettings, defaults: { url: string }): PubSubSettings {
  const resubscribe = settings.resubscribe ?? "true";
  if (resubscribe !== "true" && resubscribe !== "false") {
    throw new UsageError(`setting resubscribe=${resubscribe}: expected true or false`);
  }
  const maxBatch = Number(settings.maxBatch ?? "100");
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new UsageError(`setting maxBatch=${settings.maxBatch}: expected a positive integer`);
  }
  return { url: settings.url ?? defaults.url, resubscribe: resubscribe === "true", maxBatch };
}
