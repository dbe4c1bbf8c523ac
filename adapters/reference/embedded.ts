/**
 * The reference adapter over an in-process Broker (the default: `npx brokerbench run` needs no
 * server). Memory logs unless the caller hands in a broker over other storage.
 */
import type {
  Adapter,
  AdapterSettings,
  Capabilities,
  Consumer,
  ConsumerOptions,
  Producer,
  ProducerOptions,
  TopicSpec,
} from "../contract.js";
import { Broker, isBrokerError } from "./broker/index.js";
import { EmbeddedPullConsumer, EmbeddedPushConsumer } from "./embedded-consumer.js";
import { EmbeddedProducer } from "./embedded-producer.js";
import { EmbeddedQueuePullConsumer, EmbeddedQueuePushConsumer } from "./embedded-queue-consumer.js";
import { parseReferenceSettings, type ReferenceSettings } from "./embedded-settings.js";
import { resolvePatterns } from "./patterns.js";
import { DEFAULT_MAX_FRAME_BYTES } from "./protocol/frame.js";
import { MemoryLogFactory } from "./storage/memory-log-factory.js";

export const REFERENCE_VERSION = "0.1.0";

/** What the reference broker can do (log model); `queue=true` switches a connection to the queue model. */
export const REFERENCE_CAPABILITIES: Capabilities = {
  model: "log",
  push: true,
  pull: true,
  queue: true,
  pubsub: true,
  replay: true,
  partitions: true,
  deliveryModes: ["at-most-once", "at-least-once", "exactly-once"],
  ordering: "partition",
  idempotentProduce: true,
  // Patterns resolved to the matching topics at subscribe time (patterns.ts).
  filtering: true,
  // One message travels in one request frame (16 MiB, protocol/frame.ts) with room for its framing;
  // the embedded broker holds to the same limit so that a workload runs the same way on both.
  maxMessageBytes: DEFAULT_MAX_FRAME_BYTES - 4096,
};

export function capabilitiesFor(settings: ReferenceSettings): Capabilities {
  if (!settings.queue) return REFERENCE_CAPABILITIES;
  // Shared subscription: per-message acks, order only per consumer between redeliveries.
  return { ...REFERENCE_CAPABILITIES, model: "queue", ordering: "none" };
}

export class EmbeddedAdapter implements Adapter {
  readonly capabilities: Capabilities;
  readonly broker: Broker;
  private readonly settings: ReferenceSettings;
  private readonly ownsBroker: boolean;
  private readonly open = new Set<{ close(): Promise<void> }>();

  constructor(broker: Broker, settings: ReferenceSettings, ownsBroker: boolean) {
    this.broker = broker;
    this.settings = settings;
    this.ownsBroker = ownsBroker;
    this.capabilities = capabilitiesFor(settings);
  }

  versions(): Promise<Readonly<Record<string, string>>> {
    return Promise.resolve({
      "reference-broker": `${REFERENCE_VERSION} (embedded, memory)`,
      node: process.version,
    });
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    try {
      await this.broker.deleteTopic(spec.name);
    } catch (err) {
      if (!isBrokerError(err, "UNKNOWN_TOPIC_OR_PARTITION")) throw err;
    }
    await this.broker.createTopic(spec.name, spec.partitions);
  }

  async deleteTopic(name: string): Promise<void> {
    try {
      await this.broker.deleteTopic(name);
    } catch (err) {
      if (!isBrokerError(err, "UNKNOWN_TOPIC_OR_PARTITION")) throw err;
    }
  }

  /** Deletes this in-process broker's topics named with `prefix` (nothing outlives the process). */
  async clean(prefix: string): Promise<readonly string[]> {
    const names = this.broker
      .listTopics()
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
    const p = await EmbeddedProducer.create(this.broker, { acks: s.acks, idempotent });
    this.open.add(p);
    return p;
  }

  createConsumer(patterned: ConsumerOptions): Promise<Consumer> {
    let options = patterned;
    try {
      if (patterned.patterns !== undefined)
        options = resolvePatterns(
          patterned,
          this.broker.listTopics().map((t) => t.name),
        );
    } catch (err) {
      return Promise.reject(err);
    }
    const s = this.settings;
    let c: Consumer;
    if (s.queue) {
      c =
        options.delivery === "push"
          ? EmbeddedQueuePushConsumer.create(this.broker, options, s)
          : EmbeddedQueuePullConsumer.create(this.broker, options, s);
    } else {
      c =
        options.delivery === "push"
          ? EmbeddedPushConsumer.create(this.broker, options, s)
          : EmbeddedPullConsumer.create(this.broker, options, s);
    }
    this.open.add(c);
    return Promise.resolve(c);
  }

  async close(): Promise<void> {
    for (const x of this.open) await x.close();
    this.open.clear();
    if (this.ownsBroker) await this.broker.close();
  }
}

/** Connects an adapter to a new in-process broker over memory logs. */
export async function connectEmbedded(settings: AdapterSettings): Promise<EmbeddedAdapter> {
  const parsed = parseReferenceSettings(settings);
  const logs = new MemoryLogFactory({
    segmentBytes: parsed.segmentBytes,
    retention: { maxAgeMs: parsed.retentionMs, maxBytes: parsed.retentionBytes },
  });
  const broker = await Broker.open({ logs });
  return new EmbeddedAdapter(broker, parsed, true);
}
