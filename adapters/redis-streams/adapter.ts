/**
 * Redis Streams through ioredis: XADD to a stream per topic; consumers pull with XREADGROUP from a
 * consumer group per history group (competing consumers inside a group, every group sees every
 * entry). At-least-once: entries stay in the group's pending list until XACK; a replacement
 * consumer takes over a dead one's pending entries with XAUTOCLAIM once they have been idle for
 * `claimIdleMs`. At-most-once: XREADGROUP NOACK (nothing pending, nothing redelivered).
 */
import type { Redis } from "ioredis";
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
  type SendAck,
  SendError,
  type StartPosition,
  type TopicSpec,
} from "../contract.js";
import { connectRedis, ioredisVersion, redisServerVersion } from "../redis-pubsub/connection.js";
import { CAPABILITIES, NAME } from "./descriptor.js";
import { offsetOf } from "./offsets.js";

export { CAPABILITIES, NAME } from "./descriptor.js";

export interface StreamsSettings {
  readonly url: string;
  /** Pending entries idle this long are claimed (XAUTOCLAIM) by a polling consumer of the group. */
  readonly claimIdleMs: number;
  /** How often a consumer sweeps the group's pending list for claimable entries. */
  readonly claimIntervalMs: number;
  /** XADD MAXLEN ~ n (0: unbounded). Trimmed entries are gone, pending or not. */
  readonly maxLen: number;
}

const PAYLOAD_FIELD = "p";
const KEY_FIELD = "k";

/** Where a topic's base time lives: named after the topic, so whatever clean removes a topic's stream by its prefix removes this too. */
function baseKey(topic: string): string {
  return `${topic}:base`;
}

function refuse(o: { delivery?: string; mode: string }): void {
  if (o.delivery !== undefined && o.delivery !== "pull") {
    throw new UsageError(`${NAME}: ${o.delivery} delivery is not supported (consumers pull with XREADGROUP)`);
  }
  if (!CAPABILITIES.deliveryModes.includes(o.mode as never)) {
    throw new UsageError(`${NAME}: delivery mode ${o.mode} is not supported`);
  }
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Each topic's offset base, read once per process from Redis (see offsets.ts). */
class Bases {
  private readonly known = new Map<string, number | null>();
  constructor(private readonly redis: Redis) {}

  async of(topic: string): Promise<number | null> {
    const cached = this.known.get(topic);
    if (cached !== undefined) return cached;
    const raw = await this.redis.get(baseKey(topic));
    const base = raw === null ? null : Number(raw);
    this.known.set(topic, base);
    return base;
  }

  set(topic: string, base: number | null): void {
    this.known.set(topic, base);
  }
}

export class RedisStreamsAdapter implements Adapter {
  readonly capabilities = CAPABILITIES;
  private readonly bases: Bases;

  private constructor(
    private readonly admin: Redis,
    private readonly settings: StreamsSettings,
  ) {
    this.bases = new Bases(admin);
  }

  static async connect(settings: StreamsSettings): Promise<RedisStreamsAdapter> {
    const admin = await connectRedis(NAME, settings.url, { name: "brokerbench-admin" });
    return new RedisStreamsAdapter(admin, settings);
  }

  async versions(): Promise<Readonly<Record<string, string>>> {
    return { ioredis: ioredisVersion(), redis: await redisServerVersion(this.admin) };
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    if (spec.partitions !== 1) {
      throw new UsageError(
        `${NAME}: a stream is one ordered log; ${spec.partitions} partitions are not supported`,
      );
    }
    const [seconds, micros] = await this.admin.time();
    const baseMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    // Fresh: the stream (with its groups and pending lists) from a previous run goes.
    await this.admin.multi().del(spec.name).set(baseKey(spec.name), String(baseMs)).exec();
    this.bases.set(spec.name, baseMs);
  }

  async deleteTopic(name: string): Promise<void> {
    await this.admin.del(name, baseKey(name));
    this.bases.set(name, null);
  }

  /** Deletes every key named with `prefix`: the streams (their groups and pending lists) and base keys. */
  async clean(prefix: string): Promise<readonly string[]> {
    const names: string[] = [];
    const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    let cursor = "0";
    do {
      const [next, keys] = await this.admin.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      names.push(...keys);
    } while (cursor !== "0");
    const unique = [...new Set(names)].sort();
    for (let i = 0; i < unique.length; i += 500) await this.admin.del(...unique.slice(i, i + 500));
    for (const name of unique) this.bases.set(name, null);
    return unique;
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    refuse({ mode: options.mode });
    const redis = await connectRedis(NAME, this.settings.url, { name: `brokerbench-p${options.process}` });
    return new StreamsProducer(redis, this.bases, this.settings.maxLen);
  }

  async createConsumer(options: ConsumerOptions): Promise<Consumer> {
    refuse(options);
    const redis = await connectRedis(NAME, this.settings.url, { name: `brokerbench-c${options.process}` });
    try {
      let from: StartPosition = "committed";
      for (const topic of options.topics) {
        const startId = options.start === "earliest" ? "0" : "$";
        try {
          await redis.xgroup("CREATE", topic, options.group, startId, "MKSTREAM");
          from = options.start === "earliest" ? "earliest" : "latest";
        } catch (err) {
          // The group exists: it continues where it is (its last-delivered id and pending list).
          if (!(err instanceof Error && err.message.includes("BUSYGROUP"))) throw err;
        }
      }
      const bases = new Map<string, number | null>();
      for (const topic of options.topics) bases.set(topic, await this.bases.of(topic));
      options.onAssign?.({ partitions: options.topics.map((topic) => ({ topic, partition: 0 })), from });
      return new StreamsConsumer(redis, options, this.settings, bases);
    } catch (err) {
      redis.disconnect(false);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.admin.quit().catch(() => this.admin.disconnect(false));
  }
}

class StreamsProducer implements Producer {
  constructor(
    private readonly redis: Redis,
    private readonly bases: Bases,
    private readonly maxLen: number,
  ) {}

  async send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    const pipeline = this.redis.pipeline();
    for (const m of batch) {
      const trim = this.maxLen > 0 ? ["MAXLEN", "~", this.maxLen] : [];
      const key = m.key === null ? [] : [KEY_FIELD, m.key];
      pipeline.call("XADD", [m.topic, ...trim, "*", PAYLOAD_FIELD, toBuffer(m.payload), ...key]);
    }
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      throw new SendError(`${NAME}: XADD outcome unknown: ${(err as Error).message}`, false, { cause: err });
    }
    if (results === null) throw new SendError(`${NAME}: XADD outcome unknown (connection closed)`, false);
    const acks: SendAck[] = [];
    for (const [i, [err, id]] of results.entries()) {
      if (err !== null) {
        // Earlier entries of the batch may be in the stream: the batch as a whole is not definite.
        throw new SendError(`${NAME}: XADD failed: ${err.message}`, i === 0 && err.name === "ReplyError", {
          cause: err,
        });
      }
      const topic = batch[i]?.topic ?? "";
      acks.push({ partition: 0, offset: offsetOf(String(id), await this.bases.of(topic)) });
    }
    return acks;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect(false));
  }
}

type Entry = [id: Buffer, fields: Buffer[] | null];

class StreamsConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  private readonly name: string;
  private readonly noAck: boolean;
  /** The stream id behind each delivery, for XACK. */
  private readonly ids = new WeakMap<Delivery, string>();
  private readonly claimCursor = new Map<string, string>();
  private readonly nextSweepMs = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: ConsumerOptions,
    private readonly settings: StreamsSettings,
    private readonly bases: ReadonlyMap<string, number | null>,
  ) {
    this.name = `p${options.process}`;
    this.noAck = options.mode === "at-most-once";
  }

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    if (!this.noAck) {
      const claimed = await this.claim(max);
      if (claimed.length > 0) return claimed;
    }
    const topics = this.options.topics;
    const args: (string | number)[] = ["GROUP", this.options.group, this.name, "COUNT", Math.max(1, max)];
    if (waitMs > 0) args.push("BLOCK", Math.ceil(waitMs));
    if (this.noAck) args.push("NOACK");
    args.push("STREAMS", ...topics, ...topics.map(() => ">"));
    const reply = await this.redis.callBuffer("XREADGROUP", args);
    const out: Delivery[] = [];
    for (const [topic, entries] of streamsOf(reply)) this.collect(out, topic, entries, false);
    return out;
  }

  /** XAUTOCLAIM sweep of each topic's pending list, at most every claimIntervalMs per topic. */
  private async claim(max: number): Promise<Delivery[]> {
    const out: Delivery[] = [];
    const now = Date.now();
    for (const topic of this.options.topics) {
      if (now < (this.nextSweepMs.get(topic) ?? 0)) continue;
      const cursor = this.claimCursor.get(topic) ?? "0-0";
      const reply = (await this.redis.callBuffer("XAUTOCLAIM", [
        topic,
        this.options.group,
        this.name,
        this.settings.claimIdleMs,
        cursor,
        "COUNT",
        Math.max(1, max),
      ])) as [Buffer, (Entry | null)[], Buffer[]?];
      const next = reply[0].toString();
      this.claimCursor.set(topic, next);
      // A full sweep done: rest until the next interval; otherwise continue on the next poll.
      if (next === "0-0") this.nextSweepMs.set(topic, now + this.settings.claimIntervalMs);
      this.collect(out, topic, reply[1], true);
      if (out.length > 0) break;
    }
    return out;
  }

  private collect(
    out: Delivery[],
    topic: string,
    entries: readonly (Entry | null)[],
    redelivered: boolean,
  ): void {
    const base = this.bases.get(topic) ?? null;
    for (const entry of entries) {
      // Entries deleted or trimmed while pending come back empty: there is nothing left to deliver.
      if (entry === null || entry[1] === null) continue;
      const [rawId, fields] = entry;
      let payload: Buffer | null = null;
      let key: string | null = null;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const field = fields[i]?.toString();
        if (field === PAYLOAD_FIELD) payload = fields[i + 1] ?? null;
        else if (field === KEY_FIELD) key = fields[i + 1]?.toString() ?? null;
      }
      if (payload === null) continue;
      const id = rawId.toString();
      const delivery: Delivery = {
        topic,
        partition: 0,
        offset: offsetOf(id, base),
        key,
        payload,
        redelivered,
      };
      this.ids.set(delivery, id);
      out.push(delivery);
    }
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    // NOACK: the group forgot each entry as it handed it out.
    if (this.noAck || deliveries.length === 0) return { kind: "acks", count: deliveries.length };
    const byTopic = new Map<string, string[]>();
    for (const d of deliveries) {
      const id = this.ids.get(d);
      if (id === undefined) throw new Error(`${NAME}: commit of a delivery this consumer did not make`);
      const list = byTopic.get(d.topic) ?? [];
      list.push(id);
      byTopic.set(d.topic, list);
    }
    const pipeline = this.redis.pipeline();
    for (const [topic, ids] of byTopic) pipeline.xack(topic, this.options.group, ...ids);
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err !== null);
    if (!results || failed)
      throw new Error(`${NAME}: XACK failed: ${failed?.[0]?.message ?? "connection closed"}`);
    return { kind: "acks", count: deliveries.length };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Pending entries stay with the group for another consumer to claim.
    await this.redis.quit().catch(() => this.redis.disconnect(false));
  }

  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.redis.disconnect(false);
  }
}

/** XREADGROUP's reply as (stream, entries) pairs: RESP2 nests pairs; RESP3 (legacy mapping) flattens the map. */
function streamsOf(reply: unknown): [string, Entry[]][] {
  if (reply === null || !Array.isArray(reply)) return [];
  const out: [string, Entry[]][] = [];
  if (reply.length > 0 && Buffer.isBuffer(reply[0])) {
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), reply[i + 1] as Entry[]]);
  } else {
    for (const pair of reply as [Buffer, Entry[]][]) out.push([pair[0].toString(), pair[1]]);
  }
  return out;
}

export function parseSettings(
  settings: Readonly<Record<string, string>>,
  defaults: { url: string },
): StreamsSettings {
  const int = (key: string, fallback: number): number => {
    const raw = settings[key];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0)
      throw new UsageError(`setting ${key}=${raw}: expected a non-negative integer`);
    return n;
  };
  return {
    url: settings.url ?? defaults.url,
    claimIdleMs: int("claimIdleMs", 5_000),
    claimIntervalMs: int("claimIntervalMs", 1_000),
    maxLen: int("maxLen", 0),
  };
}
