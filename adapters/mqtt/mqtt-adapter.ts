/**
 * MQTT (mosquitto and others): a topic is an MQTT topic, a consumer group a shared subscription
 * `$share/<group>/<topic>` (each group gets every message once, its members share them).
 * at-most-once = QoS 0 (or 2, see README); at-least-once = QoS 1 with a persistent session and the
 * PUBACK held until commit, so an unprocessed message comes back when the member's session resumes.
 * Exactly-once is not declared: see README.md. No offsets, no partitions, no replay.
 */

import { randomUUID } from "node:crypto";
import type { IPublishPacket, MqttClient, Packet } from "mqtt";
import { UsageError } from "../../core/errors.js";
import {
  type Adapter,
  type AdapterSettings,
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
import { fromMqttTopic, mqttFilter, mqttTopic } from "../patterns.js";
import { MAX_PUSH_BATCH, PushBatches } from "../push-batches.js";
import {
  connectMqtt,
  endMqtt,
  MQTT_CLIENT_VERSION,
  numberSetting,
  protocolVersion,
  setting,
} from "./connection.js";
import { MQTT_CAPABILITIES, MQTT_NAME as NAME } from "./descriptor.js";

export const MQTT_KEY_PROPERTY = "bb-key";

type QoS = 0 | 1 | 2;

/**
 * Topic names are neutral (adapters/patterns.ts): dot-separated segments, which are MQTT topic
 * levels here (`a.b` is published as `a/b` and delivered back as `a.b`).
 */
function checkTopic(topic: string): string {
  return mqttTopic(topic, NAME);
}

function refuseMode(mode: DeliveryMode): void {
  if (!MQTT_CAPABILITIES.deliveryModes.includes(mode)) {
    throw new Error(
      `${NAME}: delivery mode ${mode} is not supported: QoS 2 is exactly-once per hop, and a subscriber that dies after PUBREC loses the message (see adapters/mqtt/README.md)`,
    );
  }
}

/** A counting semaphore: QoS 2 publishes wait for a free slot. */
class Window {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}
  async acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used--;
  }
}

class MqttProducer implements Producer {
  private readonly window: Window | null;
  /** Neutral topic name → MQTT topic (translated once per topic, not per message). */
  private readonly mqttTopics = new Map<string, string>();

  /** `window`: most QoS 1/2 publishes unacknowledged at once (MQTT 5 receive maximum), 0 = no limit. */
  constructor(
    private readonly client: MqttClient,
    private readonly qos: QoS,
    private readonly v5: boolean,
    window: number,
  ) {
    this.window = qos > 0 && window > 0 ? new Window(window) : null;
    // The connection is lost (the broker died): mqtt.js keeps QoS 1/2 publishes waiting for a
    // reconnect that never comes (reconnectPeriod 0); ending the client fails them, so the sends
    // report it and the runner's lanes wait out the outage.
    client.on("close", () => {
      if (!client.disconnecting) client.end(true);
    });
  }

  async send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    // QoS 0 resolves once written, QoS 1 at PUBACK, QoS 2 at PUBCOMP.
    const results = await Promise.allSettled(batch.map((m) => this.publish(m)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed.length > 0) {
      const first = failed[0]?.reason as Error;
      throw new SendError(
        `${NAME}: ${failed.length} of ${batch.length} publishes not acknowledged: ${first.message}`,
        // Refused before anything reached the broker (client closed) is definite; the rest unknown.
        failed.length === batch.length && !this.client.connected,
        { cause: first },
      );
    }
    return batch.map(() => ({ partition: 0, offset: null }));
  }

  private async publish(m: OutgoingMessage): Promise<void> {
    await this.window?.acquire();
    try {
      let topic = this.mqttTopics.get(m.topic);
      if (topic === undefined) {
        topic = checkTopic(m.topic);
        this.mqttTopics.set(m.topic, topic);
      }
      await this.client.publishAsync(
        topic,
        Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength),
        {
          qos: this.qos,
          ...(m.key !== null && this.v5
            ? { properties: { userProperties: { [MQTT_KEY_PROPERTY]: m.key } } }
            : {}),
        },
      );
    } finally {
      this.window?.release();
    }
  }

  async close(): Promise<void> {
    await endMqtt(this.client, false);
  }
}

interface HeldAck {
  readonly packet: Packet;
}

/** The private send path of mqtt.js 5 that PUBACKs go through (see holdPubacks). */
type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

class MqttConsumer implements PushConsumer {
  readonly delivery = "push" as const;
  private readonly batcher = new PushBatches<Delivery>(MAX_PUSH_BATCH, { coalesce: "read" });
  private readonly ids = new WeakMap<Delivery, number>();
  private readonly held = new Map<number, HeldAck>();
  private sendPacket: SendPacket | null = null;
  private filters: string[] = [];

  constructor(
    private readonly client: MqttClient,
    private readonly qos: QoS,
    private readonly v5: boolean,
    private readonly release: () => void,
    /** MQTT 3.1.1 sessions never expire: ending one means reconnecting with a clean session. */
    private readonly wipeSession: () => Promise<void>,
  ) {
    client.on("message", (topic, payload, packet) => this.receive(topic, payload, packet));
    if (qos === 1) this.holdPubacks();
  }

  /**
   * mqtt.js sends a PUBACK as soon as the message handler returns and reads the next packet only
   * after that. To acknowledge after processing without reading one message at a time, the PUBACK
   * is held here (the client moves on) and written at commit. Uses mqtt.js 5's `_sendPacket`.
   */
  private holdPubacks(): void {
    const target = this.client as unknown as { _sendPacket: SendPacket };
    const original = target._sendPacket.bind(this.client);
    this.sendPacket = original;
    target._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === "puback" && packet.messageId !== undefined) {
        this.held.set(packet.messageId, { packet });
        cb?.();
        return;
      }
      original(packet, cb, ...rest);
    };
  }

  private receive(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const key = packet.properties?.userProperties?.[MQTT_KEY_PROPERTY];
    const d: Delivery = {
      topic: fromMqttTopic(topic),
      partition: 0,
      offset: null,
      key: typeof key === "string" ? key : null,
      payload,
      redelivered: packet.dup,
    };
    if (packet.messageId !== undefined) this.ids.set(d, packet.messageId);
    this.batcher.push(d);
  }

  async subscribe(options: ConsumerOptions): Promise<void> {
    // A pattern is its own shared subscription: the group's members share what it matches.
    const filters =
      options.patterns?.map((p) => mqttFilter(p, NAME)) ?? options.topics.map((t) => checkTopic(t));
    this.filters = filters.map((f) => `$share/${options.group}/${f}`);
    const granted = await this.client.subscribeAsync(this.filters, { qos: this.qos });
    const refused = granted.filter((g) => g.qos !== this.qos);
    if (refused.length > 0) {
      throw new Error(
        `${NAME}: the broker granted QoS ${refused[0]?.qos} for ${refused[0]?.topic}, not ${this.qos} (128 = refused; shared subscriptions need MQTT 5 or mosquitto 2)`,
      );
    }
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    this.batcher.start(onBatch);
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    const send = this.sendPacket;
    if (send === null) return { kind: "acks", count: deliveries.length };
    const writes: Promise<void>[] = [];
    for (const d of deliveries) {
      const id = this.ids.get(d);
      const held = id === undefined ? undefined : this.held.get(id);
      if (id === undefined || held === undefined) {
        throw new Error(`${NAME}: commit of a delivery this consumer holds no acknowledgement for`);
      }
      this.held.delete(id);
      writes.push(
        new Promise((resolve, reject) => send(held.packet, (err) => (err ? reject(err) : resolve()))),
      );
    }
    await Promise.all(writes);
    return { kind: "acks", count: deliveries.length };
  }

  /**
   * Leaves: stops receiving, then ends the session unless it still holds unacknowledged messages;
   * those stay with the session for the group's next consumer (mosquitto does not pass a closed
   * shared-subscription member's in-flight messages to the other members).
   */
  async close(): Promise<void> {
    await this.batcher.settled();
    this.batcher.stop();
    const keep = this.held.size > 0;
    this.held.clear();
    if (!keep) {
      await endMqtt(this.client, false, this.v5 ? { properties: { sessionExpiryInterval: 0 } } : {});
      if (!this.v5) await this.wipeSession();
    } else {
      await this.client.unsubscribeAsync(this.filters);
      (this.client.stream as { destroy?: () => void }).destroy?.();
      await endMqtt(this.client, true);
    }
    this.release();
    if (this.batcher.error !== null) throw this.batcher.error;
  }

  /** Dies: the socket goes without DISCONNECT; the session and its in-flight messages stay behind. */
  async kill(): Promise<void> {
    this.batcher.stop();
    this.held.clear();
    (this.client.stream as { destroy?: () => void }).destroy?.();
    await endMqtt(this.client, true);
    this.release();
  }
}

/**
 * Session slots: a group's consumers use client ids `<run>-<group>-<slot>`, a new consumer taking
 * the lowest free slot. A consumer that died frees its slot, so its replacement resumes the dead
 * one's session and gets what was queued for it and what it left unacknowledged.
 */
class SessionSlots {
  private readonly used = new Map<string, Set<number>>();
  take(group: string): { slot: number; release: () => void } {
    const set = this.used.get(group) ?? new Set<number>();
    this.used.set(group, set);
    let slot = 0;
    while (set.has(slot)) slot++;
    set.add(slot);
    return { slot, release: () => set.delete(slot) };
  }
}

class MqttAdapter implements Adapter {
  readonly capabilities = MQTT_CAPABILITIES;
  private readonly run = randomUUID().slice(0, 8);
  private readonly slots = new SessionSlots();
  private readonly v5: boolean;

  constructor(
    private readonly admin: MqttClient,
    private readonly settings: AdapterSettings,
  ) {
    this.v5 = protocolVersion(settings) === 5;
  }

  private qosFor(mode: DeliveryMode): QoS {
    refuseMode(mode);
    if (mode === "at-least-once") return 1;
    const q = numberSetting(this.settings, "atMostOnceQos");
    if (q !== 0 && q !== 2) throw new UsageError(`${NAME}: setting atMostOnceQos=${q} must be 0 or 2`);
    return q;
  }

  async versions(): Promise<Readonly<Record<string, string>>> {
    return {
      client: `mqtt.js ${MQTT_CLIENT_VERSION} (MQTT ${this.v5 ? "5" : "3.1.1"})`,
      server: await this.serverVersion(),
    };
  }

  /** Mosquitto (and others) publish their version as the retained `$SYS/broker/version`. */
  private async serverVersion(): Promise<string> {
    const topic = "$SYS/broker/version";
    return new Promise((resolve) => {
      const done = (v: string): void => {
        clearTimeout(timer);
        this.admin.removeListener("message", onMessage);
        this.admin.unsubscribe(topic);
        resolve(v);
      };
      const onMessage = (t: string, payload: Buffer): void => {
        if (t === topic) done(payload.toString());
      };
      const timer = setTimeout(() => done("unknown (no $SYS/broker/version)"), 1000);
      this.admin.on("message", onMessage);
      this.admin.subscribe(topic, { qos: 0 });
    });
  }

  /** MQTT topics exist implicitly; client sessions are named per run, so nothing is left over. */
  async createTopic(spec: TopicSpec): Promise<void> {
    checkTopic(spec.name);
    if (spec.partitions > 1) {
      throw new UsageError(
        `${NAME}: topic "${spec.name}" asks for ${spec.partitions} partitions; an MQTT topic is one stream (use partitions: 1)`,
      );
    }
  }

  async deleteTopic(): Promise<void> {}

  async createProducer(options: ProducerOptions): Promise<Producer> {
    const qos = this.qosFor(options.mode);
    const { client, connack } = await connectMqtt(this.settings, {
      clientId: `bb-${this.run}-p${options.process}`,
      clean: true,
    });
    // MQTT 5 forbids more unacknowledged QoS 1/2 publishes than the broker's receive maximum.
    const window =
      setting(this.settings, "publishWindow") !== ""
        ? numberSetting(this.settings, "publishWindow")
        : this.v5
          ? (connack.properties?.receiveMaximum ?? 65_535)
          : 0;
    return new MqttProducer(client, qos, this.v5, window);
  }

  async createConsumer(options: ConsumerOptions): Promise<Consumer> {
    const qos = this.qosFor(options.mode);
    if (options.delivery !== "push") {
      throw new Error(`${NAME}: pull delivery is not supported: MQTT brokers push to subscriptions`);
    }
    if (options.start === "earliest") {
      throw new Error(
        `${NAME}: start "earliest" is not supported: an MQTT broker keeps no history to replay`,
      );
    }
    for (const t of options.topics) checkTopic(t);
    for (const p of options.patterns ?? []) mqttFilter(p, NAME);
    if (/[/+#]/.test(options.group))
      throw new UsageError(`${NAME}: group "${options.group}" cannot contain /, + or #`);
    const { slot, release } = this.slots.take(options.group);
    const prepared: { consumer?: MqttConsumer } = {};
    try {
      const clientId = `bb-${this.run}-${options.group}-${slot}`;
      const { connack } = await connectMqtt(
        this.settings,
        {
          clientId,
          clean: false,
          ...(this.v5
            ? {
                properties: {
                  sessionExpiryInterval: numberSetting(this.settings, "sessionExpirySec"),
                  // The broker sends at most this many unacknowledged QoS 1/2 messages.
                  receiveMaximum: Math.min(65_535, Math.max(1, options.prefetch)),
                },
              }
            : {}),
        },
        (client) => {
          prepared.consumer = new MqttConsumer(client, qos, this.v5, release, async () => {
            const { client: wiper } = await connectMqtt(this.settings, { clientId, clean: true });
            await wiper.endAsync();
          });
        },
      );
      const consumer = prepared.consumer;
      if (consumer === undefined) throw new Error(`${NAME}: internal: consumer not prepared`);
      // A pattern's topics are whatever the broker matches: no assignment to report.
      for (const topic of options.patterns === undefined ? options.topics : []) {
        options.onAssign?.({
          partitions: [{ topic, partition: 0 }],
          from: connack.sessionPresent ? "committed" : "latest",
        });
      }
      await consumer.subscribe(options);
      return consumer;
    } catch (err) {
      release();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.admin.endAsync();
  }
}

/** Connects the adapter (its factory, loaded without this module, is in descriptor.ts). */
export async function connectMqttAdapter(settings: AdapterSettings): Promise<Adapter> {
  const { client } = await connectMqtt(settings, {
    clientId: `bb-admin-${randomUUID().slice(0, 8)}`,
    clean: true,
  });
  return new MqttAdapter(client, settings);
}
