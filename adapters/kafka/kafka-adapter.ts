/**
 * The `kafka` adapter: Apache Kafka through @platformatic/kafka 1.x (see README.md for the client
 * choice, the mapping of every knob and what is atomic under exactly-once).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../core/errors.js";
import {
  type Adapter,
  type AdapterSettings,
  type Capabilities,
  type Consumer,
  type ConsumerOptions,
  type Delivery,
  type Producer,
  type ProducerOptions,
  RESOURCE_PREFIX,
  type TopicSpec,
  type TransactionalProducer,
} from "../contract.js";
import { kafkaTopicRegex, parsePattern } from "../patterns.js";
import { describeError, RoutedAdmin, RoutedConsumer, RoutedProducer, unreachable } from "./clients.js";
import { KafkaPullConsumer, type ProcessingLog } from "./consumer.js";
import { BATCH_OVERHEAD_BYTES, KAFKA_CAPABILITIES, KAFKA_DEFAULT_MESSAGE_MAX_BYTES } from "./descriptor.js";
import { readFailure, readPartitionToEnd } from "./partition-reader.js";
import { KafkaProducer } from "./producer.js";
import { idempotent, type KafkaSettings, NAME, parseSettings } from "./settings.js";
import { KafkaTransactionalProducer } from "./transactional-producer.js";

const CLIENT_VERSION: string = (() => {
  try {
    // The package's exports hide package.json: read it beside its entry point.
    const entry = fileURLToPath(import.meta.resolve("@platformatic/kafka"));
    const pkg = join(dirname(entry), "..", "package.json");
    return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
  } catch {
    return "1.x";
  }
})();

/** The group id on the broker: the run's group name, scoped to what it reads (groups are cluster-wide). */
export function groupId(options: Pick<ConsumerOptions, "group" | "topics" | "patterns">): string {
  const scope = [...(options.patterns ?? options.topics)].sort().join(",");
  const hash = createHash("sha1").update(scope).digest("hex").slice(0, 10);
  const group = options.group.replace(/[^A-Za-z0-9._-]/g, "_");
  return group.startsWith(RESOURCE_PREFIX) ? `${group}-${hash}` : `${RESOURCE_PREFIX}${group}-${hash}`;
}

/** The exactly-once processing log of a group (a topic: `<group id>-processed`). */
export function processingTopic(group: string): string {
  return `${group}-processed`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class KafkaAdapter implements Adapter {
  readonly capabilities: Capabilities;
  /** Groups this adapter's consumers joined, per topic they read, for deleteTopic to remove. */
  private readonly groupsByTopic = new Map<string, Set<string>>();
  private readonly processingTopics = new Set<string>();
  private clientSerial = 0;
  /** Reads partitions outside any group (`readPartition`); made on first use. */
  private reader: RoutedConsumer | null = null;

  constructor(
    private readonly admin: RoutedAdmin,
    private readonly s: KafkaSettings,
    capabilities: Capabilities,
    private readonly serverVersion: string,
  ) {
    this.capabilities = capabilities;
  }

  async versions(): Promise<Readonly<Record<string, string>>> {
    return { client: `@platformatic/kafka ${CLIENT_VERSION}`, server: `Apache Kafka ${this.serverVersion}` };
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
      throw new UsageError(
        `${NAME}: topic "${spec.name}": partitions must be a positive integer, not ${spec.partitions}`,
      );
    }
    const existing = await this.admin.listTopics();
    if (existing.includes(spec.name)) await this.deleteTopicAndWait(spec.name);
    await this.admin.createTopics({
      topics: [spec.name],
      partitions: spec.partitions,
      replicas: this.s.replicas,
      configs: [...this.s.topicConfigs],
    });
    await this.waitForLeaders(spec.name, spec.partitions);
  }

  async deleteTopic(name: string): Promise<void> {
    const groups = [...(this.groupsByTopic.get(name) ?? [])];
    this.groupsByTopic.delete(name);
    const topics = [name, ...groups.map(processingTopic).filter((t) => this.processingTopics.delete(t))];
    const existing = new Set(await this.admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await this.admin.deleteTopics({ topics: present });
    if (groups.length > 0) await this.deleteGroups(groups);
  }

  async clean(prefix: string): Promise<readonly string[]> {
    const topics = (await this.admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await this.admin.deleteTopics({ topics });
    const groups = [...(await this.admin.listGroups()).keys()].filter((g) => g.startsWith(prefix));
    const removed = groups.length > 0 ? await this.deleteGroups(groups) : [];
    return [...topics.map((t) => `topic ${t}`), ...removed.map((g) => `group ${g}`)];
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    const idem = idempotent(this.s, options.idempotent, options.mode === "exactly-once");
    const client = new RoutedProducer(this.s, {
      ...this.clientOptions(`producer-${options.process}`),
      acks: this.s.acks,
      idempotent: idem,
    });
    return new KafkaProducer(client, this.s, idem);
  }

  async createTransactionalProducer(options: {
    readonly process: number;
    readonly transactionalId: string;
  }): Promise<TransactionalProducer> {
    const id = options.transactionalId.startsWith(RESOURCE_PREFIX)
      ? options.transactionalId
      : `${RESOURCE_PREFIX}${options.transactionalId}`;
    const client = new RoutedProducer(this.s, {
      ...this.clientOptions(`tx-${options.process}`),
      acks: -1,
      idempotent: true,
      transactionalId: id,
      // EndTxn returns before the markers are written, and InitProducerId after a fenced instance
      // waits for its abort: both answer CONCURRENT_TRANSACTIONS meanwhile. Retry soon, for ~4 s.
      retries: 800,
      retryDelay: 5,
    });
    return KafkaTransactionalProducer.create(client);
  }

  async readPartition(topic: string, partition: number, timeoutMs: number): Promise<readonly Delivery[]> {
    // Never joins: the group id is required by the client's constructor only.
    this.reader ??= new RoutedConsumer(this.s, {
      ...this.clientOptions("reader"),
      groupId: `${RESOURCE_PREFIX}reader-${process.pid}`,
    });
    try {
      return await readPartitionToEnd(this.reader, topic, partition, timeoutMs, this.s.fetchMaxBytes);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith(`${NAME}: `)) throw err;
      throw readFailure(topic, partition, err);
    }
  }

  async createConsumer(options: ConsumerOptions): Promise<Consumer> {
    if (options.delivery !== "pull") {
      throw new UsageError(
        `${NAME}: push delivery is not supported (Kafka consumers fetch: use delivery pull)`,
      );
    }
    const topics =
      options.patterns === undefined ? [...options.topics] : await this.resolvePatterns(options.patterns);
    const group = groupId(options);
    for (const t of topics) {
      const set = this.groupsByTopic.get(t) ?? new Set<string>();
      this.groupsByTopic.set(t, set);
      set.add(group);
    }
    let processing: ProcessingLog | null = null;
    if (options.mode === "exactly-once") {
      const topic = processingTopic(group);
      await this.ensureTopic(topic);
      this.processingTopics.add(topic);
      processing = {
        topic,
        producer: new RoutedProducer(this.s, {
          ...this.clientOptions(`txn-${options.process}`),
          acks: -1,
          idempotent: true,
          transactionalId: `${group}-txn-${options.process}`,
          // EndTxn returns before the markers are written; the next transaction's
          // AddPartitionsToTxn answers CONCURRENT_TRANSACTIONS until then: retry soon.
          retries: 100,
          retryDelay: 5,
        }),
      };
    }
    const client = new RoutedConsumer(this.s, {
      ...this.clientOptions(`consumer-${options.process}`),
      groupId: group,
      sessionTimeout: this.s.sessionTimeoutMs,
      heartbeatInterval: this.s.heartbeatMs,
      rebalanceTimeout: this.s.rebalanceTimeoutMs,
      autocommit: false,
      maxWaitTime: this.s.fetchMaxWaitMs,
      maxBytes: this.s.fetchMaxBytes,
    });
    const consumer = new KafkaPullConsumer(client, options, topics, this.s, processing);
    try {
      await consumer.start();
    } catch (err) {
      await consumer.close();
      throw new Error(
        `${NAME}: consumer ${options.process} could not join group ${group}: ${describeError(err)}`,
        {
          cause: err,
        },
      );
    }
    return consumer;
  }

  async close(): Promise<void> {
    const reader = this.reader;
    this.reader = null;
    if (reader !== null) await new Promise<void>((resolve) => reader.close(true, () => resolve()));
    await this.admin.close().catch(() => {});
  }

  /**
   * Kafka's classic regex subscription, as the Java consumer's `subscribe(Pattern)` does it: the
   * pattern is matched by the client against the topics in the cluster's metadata when it subscribes.
   */
  private async resolvePatterns(patterns: readonly string[]): Promise<string[]> {
    const regexes = patterns.map((p) => {
      parsePattern(p, NAME);
      return new RegExp(`^(?:${kafkaTopicRegex(p)})$`);
    });
    const topics = (await this.admin.listTopics()).filter((t) => regexes.some((r) => r.test(t))).sort();
    if (topics.length === 0) {
      throw new UsageError(
        `${NAME}: no existing topic matches ${patterns.length === 1 ? `pattern ${patterns[0]}` : `any of ${patterns.length} patterns`} (patterns are resolved when the consumer subscribes: create the topics first)`,
      );
    }
    return topics;
  }

  private clientOptions(role: string) {
    return {
      clientId: `brokerbench-${role}-${process.pid}-${++this.clientSerial}`,
      bootstrapBrokers: this.s.bootstrap.map((b) => `${b.host}:${b.port}`),
      connectTimeout: 3_000,
      requestTimeout: this.s.requestTimeoutMs,
      timeout: this.s.requestTimeoutMs,
      // A broker that has just (re)started answers NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS
      // for a few seconds while it loads its group and transaction state: up to ~5 s of retries.
      retries: 20,
      retryDelay: 250,
    };
  }

  private async ensureTopic(name: string): Promise<void> {
    const existing = await this.admin.listTopics();
    if (existing.includes(name)) return;
    await this.admin
      .createTopics({ topics: [name], partitions: 1, replicas: this.s.replicas })
      .catch((err: unknown) => {
        if (!/TOPIC_ALREADY_EXISTS|already exists/i.test(describeError(err))) throw err;
      });
    await this.waitForLeaders(name, 1);
  }

  /** CreateTopics returns before every partition has a leader; producing before that fails. */
  private async waitForLeaders(topic: string, partitions: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const md = await this.admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => null);
      const t = md?.topics.get(topic);
      if (
        t &&
        t.partitionsCount === partitions &&
        t.partitions.every((p) => p !== undefined && p.leader >= 0)
      )
        return;
      if (Date.now() > deadline) throw new Error(`${NAME}: topic ${topic} has no leader after 10 s`);
      await sleep(50);
    }
  }

  /** Deletion is asynchronous on the broker: a topic of the same name can be created only once it is gone. */
  private async deleteTopicAndWait(name: string): Promise<void> {
    await this.admin.deleteTopics({ topics: [name] });
    const deadline = Date.now() + 10_000;
    while ((await this.admin.listTopics()).includes(name)) {
      if (Date.now() > deadline)
        throw new Error(`${NAME}: topic ${name} still exists 10 s after its deletion`);
      await sleep(100);
    }
  }

  /** Deletes groups (a group with members left is retried briefly: members leave asynchronously). */
  private async deleteGroups(groups: readonly string[]): Promise<string[]> {
    let left = [...groups];
    const removed: string[] = [];
    for (let attempt = 0; attempt < 10 && left.length > 0; attempt++) {
      const still: string[] = [];
      for (const g of left) {
        try {
          await this.admin.deleteGroups({ groups: [g] });
          removed.push(g);
        } catch (err) {
          const text = describeError(err);
          if (/GROUP_ID_NOT_FOUND|does not exist/i.test(text)) continue;
          still.push(g);
        }
      }
      left = still;
      if (left.length > 0) await sleep(300);
    }
    return removed;
  }
}

/** Connects the kafka adapter (kafkaFactory.connect in descriptor.ts loads this module then). */
export async function connectKafkaAdapter(settings: AdapterSettings): Promise<Adapter> {
  const s = parseSettings(settings);
  const address = s.url;
  const admin = new RoutedAdmin(s, `brokerbench-admin-${process.pid}`);
  let version = "unknown";
  let maxBytes = KAFKA_DEFAULT_MESSAGE_MAX_BYTES;
  try {
    const md = await withDeadline(admin.metadata({ topics: [] }), 4_500, address);
    const brokerId = [...md.brokers.keys()][0];
    if (brokerId !== undefined) {
      const configs = await admin.describeConfigs({
        resources: [
          { resourceType: 4, resourceName: String(brokerId), configurationKeys: ["message.max.bytes"] },
        ],
      });
      const value = configs[0]?.configs.find((c) => c.name === "message.max.bytes")?.value;
      if (value) maxBytes = Number(value);
    }
    version = await brokerVersion(admin);
  } catch (err) {
    await admin.close().catch(() => {});
    throw (
      unreachable(err, address) ?? new Error(`${NAME}: ${address}: ${describeError(err)}`, { cause: err })
    );
  }
  const caps = { ...KAFKA_CAPABILITIES, maxMessageBytes: maxBytes - BATCH_OVERHEAD_BYTES };
  return new KafkaAdapter(admin, s, caps, version);
}

async function withDeadline<T>(p: Promise<T>, ms: number, address: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`connect ETIMEDOUT ${address} (no answer in ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Kafka has no version request; what the broker speaks (its newest Produce and Fetch versions in
 * ApiVersions) identifies the release line: Kafka 4.0 answers Produce v12 / Fetch v17.
 */
async function brokerVersion(admin: RoutedAdmin): Promise<string> {
  const apis = await admin.listApis();
  const max = (name: string) => apis.find((a) => a.name === name)?.maxVersion ?? "?";
  return `(ApiVersions: Produce v${max("Produce")}, Fetch v${max("Fetch")})`;
}
