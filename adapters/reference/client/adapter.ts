/**
 * The reference adapter: one client over the broker interface, whether the broker runs in process
 * (the default: `npx brokerbench run` needs no server) or is a `brokerbench broker` server reached
 * over TCP (`--set url=host:port`). The adapter keeps an admin session; each producer and consumer
 * gets a session of its own (over TCP its own connection, as real clients have).
 */
import { UsageError } from "../../../core/errors.js";
import type {
  Adapter,
  AdapterSettings,
  Capabilities,
  Consumer,
  ConsumerOptions,
  Delivery,
  Producer,
  ProducerOptions,
  TopicSpec,
  TransactionalProducer,
} from "../../contract.js";
import { Broker } from "../broker/broker.js";
import { isBrokerError } from "../broker/errors.js";
import { MemoryLogFactory } from "../storage/memory-log-factory.js";
import { LogPullConsumer, LogPushConsumer } from "./log-consumer.js";
import { resolvePatterns } from "./patterns.js";
import { KeylessRotation, ReferenceProducer } from "./producer.js";
import { QueuePullConsumer, QueuePushConsumer } from "./queue-consumer.js";
import { type BrokerDialer, type BrokerSession, inProcess, overTcp } from "./session.js";
import { capabilitiesFor, parseReferenceSettings, type ReferenceSettings } from "./settings.js";
import { ReferenceTransactionalProducer, readPartitionToEnd } from "./transactional-producer.js";

export function parseUrl(url: string): { host: string; port: number } {
  const m = /^(?:tcp:\/\/)?(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(url.trim());
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || port < 1 || port > 65535) {
    throw new UsageError(`reference adapter: setting url=${url}: use host:port, e.g. url=127.0.0.1:9092`);
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

export class ReferenceAdapter implements Adapter {
  readonly capabilities: Capabilities;
  private readonly dialer: BrokerDialer;
  private readonly admin: BrokerSession;
  private readonly settings: ReferenceSettings;
  private readonly rotation = new KeylessRotation();
  private readonly open = new Set<{ close(): Promise<void> }>();

  private constructor(dialer: BrokerDialer, admin: BrokerSession, settings: ReferenceSettings) {
    this.dialer = dialer;
    this.admin = admin;
    this.settings = settings;
    this.capabilities = capabilitiesFor(settings);
  }

  /** An adapter over `dialer`'s broker. */
  static async over(dialer: BrokerDialer, settings: ReferenceSettings): Promise<ReferenceAdapter> {
    return new ReferenceAdapter(dialer, await dialer.dial(), settings);
  }

  versions(): Promise<Readonly<Record<string, string>>> {
    return Promise.resolve({
      "reference-broker": this.dialer.describe(this.admin),
      node: process.version,
    });
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    await this.deleteTopic(spec.name);
    await this.admin.broker.createTopic(spec.name, spec.partitions);
  }

  async deleteTopic(name: string): Promise<void> {
    try {
      await this.admin.broker.deleteTopic(name);
    } catch (err) {
      if (!isBrokerError(err, "UNKNOWN_TOPIC_OR_PARTITION")) throw err;
    }
  }

  /** Deletes the broker's topics named with `prefix` (in process: nothing outlives the process anyway). */
  async clean(prefix: string): Promise<readonly string[]> {
    const names = (await this.admin.broker.listTopics())
      .map((t) => t.name)
      .filter((n) => n.startsWith(prefix))
      .sort();
    for (const name of names) await this.deleteTopic(name);
    return names;
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    const s = this.settings;
    const idempotent =
      s.idempotence === "true" ||
      (s.idempotence === "auto" && (options.idempotent || options.mode === "exactly-once"));
    const session = await this.dialer.dial();
    const p = await ReferenceProducer.create(session, { acks: s.acks, idempotent }, this.rotation).catch(
      async (err: unknown) => {
        await session.close();
        throw err;
      },
    );
    this.open.add(p);
    return p;
  }

  async createTransactionalProducer(options: {
    readonly process: number;
    readonly transactionalId: string;
  }): Promise<TransactionalProducer> {
    const session = await this.dialer.dial();
    const p = await ReferenceTransactionalProducer.create(session, options.transactionalId).catch(
      async (err: unknown) => {
        await session.close();
        throw err;
      },
    );
    this.open.add(p);
    return p;
  }

  /** Read-committed, on a session of its own (closed after). */
  async readPartition(topic: string, partition: number, timeoutMs: number): Promise<readonly Delivery[]> {
    const session = await this.dialer.dial();
    try {
      return await readPartitionToEnd(session, topic, partition, timeoutMs);
    } finally {
      await session.close();
    }
  }

  async createConsumer(patterned: ConsumerOptions): Promise<Consumer> {
    const options =
      patterned.patterns === undefined
        ? patterned
        : resolvePatterns(
            patterned,
            (await this.admin.broker.listTopics()).map((t) => t.name),
          );
    const s = this.settings;
    const session = await this.dialer.dial();
    try {
      let c: Consumer;
      if (s.queue) {
        c =
          options.delivery === "push"
            ? await QueuePushConsumer.create(session, options, s)
            : await QueuePullConsumer.create(session, options, s);
      } else {
        c =
          options.delivery === "push"
            ? await LogPushConsumer.create(session, options, s)
            : await LogPullConsumer.create(session, options, s);
      }
      this.open.add(c);
      return c;
    } catch (err) {
      await session.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    for (const x of this.open) await x.close().catch(() => {});
    this.open.clear();
    await this.admin.close();
    await this.dialer.close();
  }
}

/** The in-process broker an adapter runs on: `connectEmbedded` returns it for tests and benchmarks. */
export interface EmbeddedReferenceAdapter extends ReferenceAdapter {
  readonly broker: Broker;
}

/** An adapter over a new in-process broker on memory logs (closed with the adapter). */
export async function connectEmbedded(settings: AdapterSettings): Promise<EmbeddedReferenceAdapter> {
  const parsed = parseReferenceSettings(settings);
  const logs = new MemoryLogFactory({
    segmentBytes: parsed.segmentBytes,
    retention: { maxAgeMs: parsed.retentionMs, maxBytes: parsed.retentionBytes },
  });
  const broker = await Broker.open({ logs });
  const adapter = await ReferenceAdapter.over(inProcess(broker, true), parsed);
  return Object.assign(adapter, { broker });
}

/** Connects per `settings`: over TCP with `url=host:port`, otherwise a new in-process broker. */
export async function connectReference(settings: AdapterSettings): Promise<ReferenceAdapter> {
  const parsed = parseReferenceSettings(settings);
  if (parsed.url === null) return connectEmbedded(settings);
  return ReferenceAdapter.over(overTcp(parseUrl(parsed.url)), parsed);
}
