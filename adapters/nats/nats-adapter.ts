/**
 * NATS core: subjects, queue groups, at-most-once. A topic is a subject; a consumer group is a
 * queue group on it (each group gets every message once, its members share them). The server keeps
 * nothing: no offsets, no replay, no redelivery, and a consumer sees only what is published while
 * it is subscribed.
 */

import { headers, type Msg, type NatsConnection, type Subscription } from "nats";
import { UsageError } from "../../core/errors.js";
import {
  type Adapter,
  type AdapterSettings,
  type Capabilities,
  type CommitValue,
  type Consumer,
  type ConsumerOptions,
  type Delivery,
  type DeliveryMode,
  type OutgoingMessage,
  type Producer,
  type ProducerOptions,
  type PushConsumer,
  type SendAck,
  SendError,
  type TopicSpec,
} from "../contract.js";
import { parsePattern } from "../patterns.js";
import { MAX_PUSH_BATCH, PushBatches } from "../push-batches.js";
import { connectNats, flushOrClosed, NATS_CLIENT_VERSION } from "./connection.js";
import { NATS_NAME as NAME, NATS_CAPABILITIES } from "./descriptor.js";

export const NATS_KEY_HEADER = "bb-key";

/** capabilities with the limit the server stated when the connection opened (its INFO max_payload). */
export function withServerLimit(caps: Capabilities, nc: NatsConnection): Capabilities {
  const max = nc.info?.max_payload;
  return typeof max === "number" && max > 0 ? { ...caps, maxMessageBytes: max } : caps;
}

/** Publishable subject: tokens separated by dots, no wildcards, no whitespace. */
export function checkSubject(adapter: string, subject: string): void {
  if (subject === "" || /[\s*>]/.test(subject) || subject.split(".").some((t) => t === "")) {
    throw new UsageError(
      `${adapter}: topic "${subject}" is not a valid NATS subject (dot-separated tokens, no spaces, no * or >)`,
    );
  }
}

function refuseMode(mode: DeliveryMode): void {
  if (!NATS_CAPABILITIES.deliveryModes.includes(mode)) {
    throw new Error(
      `${NAME}: delivery mode ${mode} is not supported: core NATS keeps nothing and acknowledges nothing (use jetstream)`,
    );
  }
}

class NatsProducer implements Producer {
  constructor(private readonly nc: NatsConnection) {}

  async send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    let published = 0;
    try {
      for (const m of batch) {
        if (m.key === null) {
          this.nc.publish(m.topic, m.payload);
        } else {
          const h = headers();
          h.set(NATS_KEY_HEADER, m.key);
          this.nc.publish(m.topic, m.payload, { headers: h });
        }
        published++;
      }
      // PING/PONG: the server has read (and routed) everything published before it.
      await flushOrClosed(this.nc);
    } catch (err) {
      throw new SendError(`nats: publish failed: ${(err as Error).message}`, published === 0, { cause: err });
    }
    return batch.map(() => ({ partition: 0, offset: null }));
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}

function toDelivery(m: Msg): Delivery {
  return {
    topic: m.subject,
    partition: 0,
    offset: null,
    key: m.headers?.get(NATS_KEY_HEADER) || null,
    payload: m.data,
    redelivered: false,
  };
}

class NatsConsumer implements PushConsumer {
  readonly delivery = "push" as const;
  private readonly batcher = new PushBatches<Delivery>(MAX_PUSH_BATCH, { coalesce: "read" });
  private readonly subs: Subscription[] = [];

  constructor(private readonly nc: NatsConnection) {}

  async subscribe(options: ConsumerOptions): Promise<void> {
    const patterns = options.patterns;
    if (patterns !== undefined) for (const p of patterns) parsePattern(p, NAME);
    else for (const topic of options.topics) checkSubject(NAME, topic);
    // A pattern's topics are whatever the server matches: no assignment to report.
    const subjects = patterns ?? options.topics;
    for (const subject of subjects) {
      if (patterns === undefined) {
        options.onAssign?.({ partitions: [{ topic: subject, partition: 0 }], from: "latest" });
      }
      // One subscription per pattern, all in the group's queue group: the server picks one member
      // of a queue group per message, so a message matching two patterns arrives once (tested).
      this.subs.push(
        this.nc.subscribe(subject, {
          queue: options.group,
          callback: (err, m) => {
            if (err === null) this.batcher.push(toDelivery(m));
          },
        }),
      );
    }
    // The server has registered the interest once it answers the PING behind the SUBs.
    await flushOrClosed(this.nc);
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    this.batcher.start(onBatch);
  }

  /** Core NATS acknowledges nothing: a message is gone once delivered. */
  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    return { kind: "acks", count: deliveries.length };
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    await this.batcher.settled();
    this.batcher.stop();
    if (!this.nc.isClosed()) await this.nc.close();
    if (this.batcher.error !== null) throw this.batcher.error;
  }

  async kill(): Promise<void> {
    this.batcher.stop();
    if (!this.nc.isClosed()) await this.nc.close();
  }
}

class NatsAdapter implements Adapter {
  readonly capabilities: Capabilities;

  constructor(
    private readonly admin: NatsConnection,
    private readonly settings: AdapterSettings,
  ) {
    this.capabilities = withServerLimit(NATS_CAPABILITIES, admin);
  }

  async versions(): Promise<Readonly<Record<string, string>>> {
    return {
      client: `nats.js ${NATS_CLIENT_VERSION}`,
      server: `nats-server ${this.admin.info?.version ?? "unknown"}`,
    };
  }

  /** Subjects exist while someone publishes or subscribes: nothing to create or remove. */
  async createTopic(spec: TopicSpec): Promise<void> {
    checkSubject(NAME, spec.name);
    if (spec.partitions > 1) {
      throw new UsageError(
        `${NAME}: topic "${spec.name}" asks for ${spec.partitions} partitions; a NATS subject is one stream (use partitions: 1)`,
      );
    }
  }

  async deleteTopic(): Promise<void> {}

  /** Core NATS keeps nothing: subjects and queue groups exist only while subscribed. */
  async clean(_prefix: string): Promise<readonly string[]> {
    return [];
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    refuseMode(options.mode);
    return new NatsProducer(
      await connectNats(NAME, this.settings, `brokerbench-producer-${options.process}`),
    );
  }

  async createConsumer(options: ConsumerOptions): Promise<Consumer> {
    refuseMode(options.mode);
    if (options.start === "earliest") {
      throw new Error(
        `${NAME}: start "earliest" is not supported: core NATS keeps no history to replay (use jetstream)`,
      );
    }
    if (options.delivery !== "push") {
      throw new Error(
        `${NAME}: pull delivery is not supported: core NATS only pushes to subscriptions (use jetstream)`,
      );
    }
    const nc = await connectNats(NAME, this.settings, `brokerbench-consumer-${options.process}`);
    const consumer = new NatsConsumer(nc);
    await consumer.subscribe(options);
    return consumer;
  }

  async close(): Promise<void> {
    if (!this.admin.isClosed()) await this.admin.close();
  }
}

/** Connects the adapter (its factory, loaded without this module, is in descriptor.ts). */
export async function connectNatsAdapter(settings: AdapterSettings): Promise<Adapter> {
  return new NatsAdapter(await connectNats(NAME, settings, "brokerbench-admin"), settings);
}
