/**
 * JetStream: one stream per topic (a single ordered sequence, so one partition), one durable
 * consumer per group, push or pull, with the stream sequence as the offset. See README.md for how
 * each knob maps and what is deliberately not supported.
 */

import type { JetStreamManager, NatsConnection } from "nats";
import { UsageError } from "../../core/errors.js";
import type {
  Adapter,
  AdapterSettings,
  Assignment,
  Capabilities,
  Consumer,
  ConsumerOptions,
  Producer,
  ProducerOptions,
  TopicSpec,
} from "../contract.js";
import { connectNats, NATS_CLIENT_VERSION, numberSetting, setting, withServerLimit } from "../nats/index.js";
import {
  ensureDurable,
  type JetStreamConsumerSettings,
  JetStreamPullConsumer,
  JetStreamPushConsumer,
} from "./consumer.js";
import { JETSTREAM_CAPABILITIES, JETSTREAM_NAME as NAME } from "./descriptor.js";
import { JetStreamProducer } from "./producer.js";
import {
  cleanStreams,
  createStreams,
  deleteStreams,
  discoverPartitions,
  type Partition,
  type StreamSettings,
} from "./streams.js";

interface JetStreamTuning {
  readonly stream: StreamSettings;
  readonly consumer: JetStreamConsumerSettings;
  readonly publishTimeoutMs: number;
}

/** Stream replicas: 1 to 5, JetStream's limit (3 on a jetstream-cluster). */
function replicasSetting(settings: AdapterSettings): number {
  const raw = setting(settings, "replicas", "1");
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 5) {
    throw new UsageError(`${NAME}: setting replicas=${raw} must be an integer from 1 to 5`);
  }
  return n;
}

/** Checked before connecting: a bad setting is a usage error, not an unreachable broker. */
function parseTuning(settings: AdapterSettings): JetStreamTuning {
  const storage = setting(settings, "storage", "file");
  if (storage !== "file" && storage !== "memory") {
    throw new UsageError(`${NAME}: setting storage=${storage} must be "file" or "memory"`);
  }
  return {
    stream: {
      storage,
      duplicateWindowMs: numberSetting(NAME, settings, "duplicateWindowMs", 120_000),
      replicas: replicasSetting(settings),
    },
    consumer: {
      ackWaitMs: numberSetting(NAME, settings, "ackWaitMs", 10_000),
      ackTimeoutMs: numberSetting(NAME, settings, "ackTimeoutMs", 5_000),
    },
    publishTimeoutMs: numberSetting(NAME, settings, "publishTimeoutMs", 5_000),
  };
}

class JetStreamAdapter implements Adapter {
  readonly capabilities: Capabilities;
  private readonly stream: StreamSettings;
  private readonly consumer: JetStreamConsumerSettings;
  private readonly publishTimeoutMs: number;
  private readonly partitions = new Map<string, Promise<readonly Partition[]>>();
  private readonly resolve = (topic: string): Promise<readonly Partition[]> => {
    let known = this.partitions.get(topic);
    if (known === undefined) {
      known = discoverPartitions(this.jsm, topic);
      // A failed discovery is not remembered: the topic may be created later.
      known.catch(() => this.partitions.delete(topic));
      this.partitions.set(topic, known);
    }
    return known;
  };

  constructor(
    private readonly admin: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly settings: AdapterSettings,
    tuning: JetStreamTuning,
  ) {
    this.stream = tuning.stream;
    this.consumer = tuning.consumer;
    this.publishTimeoutMs = tuning.publishTimeoutMs;
    this.capabilities = withServerLimit(JETSTREAM_CAPABILITIES, admin);
  }

  async versions(): Promise<Readonly<Record<string, string>>> {
    return {
      client: `nats.js ${NATS_CLIENT_VERSION}`,
      server: `nats-server ${this.admin.info?.version ?? "unknown"} (JetStream)`,
    };
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
      throw new UsageError(
        `${NAME}: topic "${spec.name}": partitions must be a positive integer, not ${spec.partitions}`,
      );
    }
    this.partitions.delete(spec.name);
    const created = await createStreams(this.jsm, spec.name, spec.partitions, this.stream);
    this.partitions.set(spec.name, Promise.resolve(created));
  }

  async deleteTopic(name: string): Promise<void> {
    this.partitions.delete(name);
    await deleteStreams(this.jsm, name);
  }

  /** Deletes the streams of topics named with `prefix` (their durable consumers go with them). */
  async clean(prefix: string): Promise<readonly string[]> {
    const removed = await cleanStreams(this.jsm, prefix);
    this.partitions.clear();
    return removed;
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    const nc = await connectNats(NAME, this.settings, `brokerbench-producer-${options.process}`);
    const dedup = options.idempotent || options.mode === "exactly-once";
    return new JetStreamProducer(nc, options.mode, dedup, this.publishTimeoutMs, this.resolve);
  }

  async createConsumer(options: ConsumerOptions): Promise<Consumer> {
    const partitions: Partition[] = [];
    for (const topic of options.topics) partitions.push(...(await this.resolve(topic)));
    const froms: Assignment["from"][] = [];
    for (const p of partitions) froms.push(await ensureDurable(this.jsm, p, options, this.consumer));
    const nc = await connectNats(NAME, this.settings, `brokerbench-consumer-${options.process}`);
    // Every member reads every partition (the durables are shared): one assignment of them all.
    options.onAssign?.({
      partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })),
      from: froms.every((f) => f === froms[0]) ? (froms[0] ?? "committed") : "committed",
    });
    if (options.delivery === "pull") {
      const c = new JetStreamPullConsumer(nc, options.mode, this.consumer);
      await c.subscribe(partitions, options.group, options.prefetch);
      return c;
    }
    const c = new JetStreamPushConsumer(nc, options.mode, this.consumer);
    await c.subscribe(partitions, options.group);
    return c;
  }

  async close(): Promise<void> {
    if (!this.admin.isClosed()) await this.admin.close();
  }
}

/** Connects the adapter (its factory, loaded without this module, is in descriptor.ts). */
export async function connectJetStreamAdapter(settings: AdapterSettings): Promise<Adapter> {
  const tuning = parseTuning(settings);
  const nc = await connectNats(NAME, settings, "brokerbench-admin");
  let jsm: JetStreamManager;
  try {
    jsm = await nc.jetstreamManager();
  } catch (err) {
    await nc.close();
    throw new Error(
      `${NAME}: the NATS server at ${setting(settings, "url", "nats://127.0.0.1:4222")} has no JetStream (${(err as Error).message}); start nats-server with -js`,
      { cause: err },
    );
  }
  return new JetStreamAdapter(nc, jsm, settings, tuning);
}
