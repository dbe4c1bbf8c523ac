/**
 * ActiveMQ Artemis over AMQP 1.0 (rhea-promise). A topic is an address; the group's messages live
 * in queues the adapter creates through the management API, never by auto-creation (Artemis's
 * defaults would create a multicast address without queues for an unknown send, where messages
 * are accepted and dropped, and would delete an idle subscription queue).
 *
 * routing=multicast (default; JMS topics with shared durable subscriptions): one durable queue per
 * group, so each group gets every message (pub-sub) and the consumers of one group compete for its
 * queue (queue). routing=anycast (JMS queues): the topic is one queue that every consumer shares;
 * several groups are not supported.
 */

import { filter } from "rhea-promise";
import { UsageError } from "../../core/errors.js";
import type { Predicate } from "../../core/predicates.js";
import type {
  Adapter,
  Capabilities,
  Consumer,
  ConsumerOptions,
  Producer,
  ProducerOptions,
  TopicSpec,
} from "../contract.js";
import { jmsSelector } from "../predicates.js";
import {
  type ArtemisConnection,
  type ArtemisSettings,
  connectArtemis,
  describeAmqpError,
  NAME,
  RHEA_VERSION,
} from "./connection.js";
import { ArtemisPullConsumer, ArtemisPushConsumer, type ConsumerLink } from "./consumer.js";
import { CAPABILITIES, capabilitiesFor } from "./descriptor.js";
import { ArtemisManagement, ManagementError } from "./management.js";
import { fqqn, groupQueueName } from "./names.js";
import { ArtemisProducer } from "./producer.js";

export { CAPABILITIES, capabilitiesFor };

/** An "address/queue does not exist" management error (deleting what is not there is no error here). */
function isMissing(err: unknown): boolean {
  return (
    err instanceof ManagementError && /AMQ229017|AMQ229203|does ?n[o']t exist|not exist/i.test(err.message)
  );
}

export class ArtemisAdapter implements Adapter {
  readonly capabilities: Capabilities;
  /** The creation of each group's queue in this run: consumers of one group share it. */
  private readonly declaring = new Map<string, Promise<void>>();

  private constructor(
    private readonly settings: ArtemisSettings,
    private readonly admin: ArtemisConnection,
    private readonly management: ArtemisManagement,
  ) {
    this.capabilities = capabilitiesFor(settings.routing);
  }

  static async connect(settings: ArtemisSettings): Promise<ArtemisAdapter> {
    const admin = await connectArtemis(settings, "admin");
    try {
      return new ArtemisAdapter(settings, admin, await ArtemisManagement.open(admin.connection));
    } catch (err) {
      await admin.close();
      throw new Error(`${NAME}: cannot open the management API: ${describeAmqpError(err)}`, { cause: err });
    }
  }

  async versions(): Promise<Readonly<Record<string, string>>> {
    return { rhea: RHEA_VERSION, [this.admin.server.product]: this.admin.server.version };
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    if (spec.partitions !== 1) {
      throw new UsageError(
        `${NAME}: an address has no partitions (one queue per group is one ordered stream); ${spec.partitions} partitions are not supported`,
      );
    }
    await this.deleteTopic(spec.name);
    if (this.settings.routing === "multicast") {
      await this.management.createAddress(spec.name, "MULTICAST");
    } else {
      await this.management.createAddress(spec.name, "ANYCAST");
      await this.management.createQueue({ name: spec.name, address: spec.name, routing: "ANYCAST" });
    }
  }

  async deleteTopic(name: string): Promise<void> {
    // Removing the address removes its queues with their messages and closes their consumers.
    await this.management.deleteAddress(name).catch((err: unknown) => {
      if (!isMissing(err)) throw err;
    });
    for (const key of this.declaring.keys()) if (key.startsWith(`${name}\u0000`)) this.declaring.delete(key);
  }

  async clean(prefix: string): Promise<readonly string[]> {
    const queuesBefore = await this.management.queueNames();
    const removed: string[] = [];
    for (const address of await this.management.addressNames()) {
      if (!address.startsWith(prefix)) continue;
      // With its queues (whatever their names) and their messages.
      await this.management.deleteAddress(address).catch((err: unknown) => {
        if (!isMissing(err)) throw err;
      });
      removed.push(address);
    }
    // Queues of this prefix: gone with their address, or on an address of another name.
    const queuesAfter = new Set(await this.management.queueNames());
    for (const queue of queuesBefore) {
      if (!queue.startsWith(prefix)) continue;
      if (queuesAfter.has(queue)) {
        await this.management.destroyQueue(queue).catch((err: unknown) => {
          if (!isMissing(err)) throw err;
        });
      }
      if (!removed.includes(queue)) removed.push(queue);
    }
    this.declaring.clear();
    return removed;
  }

  async createSubscription(s: { topic: string; group: string; predicate: Predicate | null }): Promise<void> {
    if (this.settings.routing !== "multicast") {
      throw new UsageError(`${NAME}: routing=anycast has one queue per topic: no subscription per group`);
    }
    await this.declareGroup(s.topic, s.group, s.predicate);
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    refuseMode(options.mode);
    if (options.idempotent) throw new UsageError(`${NAME}: idempotent produce is not supported`);
    const conn = await connectArtemis(this.settings, `p${options.process}`);
    return new ArtemisProducer(
      conn,
      this.settings.routing,
      options.mode === "at-most-once",
      // auto: an at-most-once producer may lose messages anyway; a durable one would wait for the
      // journal before the broker hands back credit (measured: README).
      this.settings.durable === "auto" ? options.mode !== "at-most-once" : this.settings.durable === "true",
    );
  }

  /**
   * The group's subscription queue (multicast), created once per run and group. Its predicate is
   * the queue's filter: a message it does not match is never stored for the group.
   */
  private async declareGroup(topic: string, group: string, predicate: Predicate | null): Promise<string> {
    const queue = groupQueueName(topic, group);
    const key = `${topic}\u0000${group}`;
    let declared = this.declaring.get(key);
    if (declared === undefined) {
      declared = this.management.createQueue({
        name: queue,
        address: topic,
        routing: "MULTICAST",
        ...(predicate === null ? {} : { filter: jmsSelector(predicate, NAME) }),
      });
      this.declaring.set(key, declared);
    }
    try {
      await declared;
    } catch (err) {
      this.declaring.delete(key);
      throw err;
    }
    return queue;
  }

  async createConsumer(options: ConsumerOptions): Promise<Consumer> {
    refuseMode(options.mode);
    if (options.start === "earliest") {
      throw new UsageError(
        `${NAME}: starting from the earliest message is not supported (queues do not replay)`,
      );
    }
    if (options.patterns !== undefined) {
      throw new UsageError(`${NAME}: pattern subscriptions are not supported`);
    }
    if (options.topics.length !== 1) {
      throw new UsageError(`${NAME}: a consumer reads one topic (one queue); got ${options.topics.length}`);
    }
    const topic = options.topics[0] as string;
    const multicast = this.settings.routing === "multicast";
    const predicate = options.predicate ?? null;
    const source = multicast ? fqqn(topic, await this.declareGroup(topic, options.group, predicate)) : topic;
    // Anycast: every consumer shares the topic's queue, so a predicate is the consumer's selector
    // (JMS queue semantics: what it does not match stays in the queue for other consumers).
    const selector =
      !multicast && predicate !== null ? { filter: filter.selector(jmsSelector(predicate, NAME)) } : {};
    const presettled = options.mode === "at-most-once";
    const conn = await connectArtemis(this.settings, `c${options.process}`);
    try {
      const receiver = await conn.connection.createReceiver({
        name: `bb-c${options.process}`,
        source: { address: source, capabilities: [multicast ? "topic" : "queue"], ...selector },
        // Credit is granted by the consumer itself (consumer.ts), never by rhea's window.
        credit_window: 0,
        autoaccept: false,
        snd_settle_mode: presettled ? 1 : 0,
        rcv_settle_mode: 0,
      });
      const link: ConsumerLink = { conn, receiver, topic, presettled };
      // The queue keeps what the group has not acknowledged: a new consumer continues from there.
      options.onAssign?.({ partitions: [{ topic, partition: 0 }], from: "committed" });
      return options.delivery === "push"
        ? new ArtemisPushConsumer(link, options.prefetch, this.settings.maxBatch)
        : new ArtemisPullConsumer(link);
    } catch (err) {
      await conn.close();
      throw new Error(`${NAME}: cannot attach to ${source}: ${describeAmqpError(err)}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.management.close();
    await this.admin.close();
  }
}

function refuseMode(mode: string): void {
  if (!CAPABILITIES.deliveryModes.includes(mode as never)) {
    throw new UsageError(`${NAME}: delivery mode ${mode} is not supported`);
  }
}
