/**
 * Google Cloud Pub/Sub through its emulator and Google's Node client. A topic is a topic (with
 * message retention, so that a new subscription can seek back to what was published before it);
 * a group is a subscription `<topic>.<group>`, so every group gets every message (pub-sub) and the
 * consumers of one subscription compete for its messages (queue). Pull is StreamingPull (or unary
 * Pull, `pull=unary`), push a push subscription whose endpoint is an HTTP server this adapter runs
 * on loopback. How every knob maps, and what the emulator does differently from the service:
 * README.md.
 */
import type { PubSub } from "@google-cloud/pubsub";
import { UsageError } from "../../core/errors.js";
import {
  type Adapter,
  type Capabilities,
  type Consumer,
  type ConsumerOptions,
  type DeliveryMode,
  type DeliveryStyle,
  deliveryModesOf,
  type Producer,
  type ProducerOptions,
  type StartPosition,
  type TopicSpec,
} from "../contract.js";
import { clientVersion, GRPC, grpcCode, openClient, openSubscriberClient, probe } from "./client.js";
import { CAPABILITIES, capabilitiesFor, MAX_MESSAGE_BYTES } from "./descriptor.js";
import { servingEmulatorVersion } from "./emulator.js";
import { resourceId, subscriptionId } from "./messages.js";
import { PubSubProducer } from "./producer.js";
import { PubSubPushConsumer } from "./push-consumer.js";
import { PushEndpoint } from "./push-endpoint.js";
import { NAME, type PubSubSettings } from "./settings.js";
import { StreamingPullConsumer } from "./streaming-pull.js";
import { UnaryPullConsumer } from "./unary-pull.js";

export { CAPABILITIES, capabilitiesFor, MAX_MESSAGE_BYTES };

/** One group's subscription as this adapter opened it. */
interface SubscriptionState {
  readonly id: string;
  readonly path: string;
  readonly topic: string;
  readonly delivery: DeliveryStyle;
  readonly exactlyOnce: boolean;
  /** This adapter created it (rather than finding it made by an earlier consumer process). */
  readonly created: boolean;
  readonly endpoint: PushEndpoint | null;
}

function isMissing(err: unknown): boolean {
  return grpcCode(err) === GRPC.NOT_FOUND;
}

export class PubSubAdapter implements Adapter {
  readonly capabilities: Capabilities;
  private readonly subscriptions = new Map<string, Promise<SubscriptionState>>();

  private constructor(
    private readonly admin: PubSub,
    private readonly settings: PubSubSettings,
  ) {
    this.capabilities = capabilitiesFor(settings);
  }

  static async connect(settings: PubSubSettings): Promise<PubSubAdapter> {
    const admin = openClient(settings);
    try {
      await probe(admin, settings);
    } catch (err) {
      await admin.close().catch(() => {});
      throw err;
    }
    return new PubSubAdapter(admin, settings);
  }

  async versions(): Promise<Readonly<Record<string, string>>> {
    const local =
      this.settings.host === "127.0.0.1" ||
      this.settings.host === "localhost" ||
      this.settings.host === "::1";
    const emulator = local ? servingEmulatorVersion(this.settings.port) : null;
    return {
      "@google-cloud/pubsub": clientVersion(),
      "pubsub-emulator": emulator ?? "unknown (the emulator does not report its version)",
    };
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    if (spec.partitions !== 1) {
      throw new UsageError(
        `${NAME}: a topic has no partitions (ordering keys order a key's messages); ${spec.partitions} partitions are not supported`,
      );
    }
    await this.deleteTopic(spec.name);
    await this.admin.createTopic({
      name: spec.name,
      messageRetentionDuration: { seconds: this.settings.retentionS },
    });
  }

  async deleteTopic(name: string): Promise<void> {
    // Pub/Sub keeps a deleted topic's subscriptions (detached): delete them first.
    let names: string[] = [];
    try {
      const [subs] = await this.admin.topic(name).getSubscriptions();
      names = subs.map((s) => resourceId(s.name));
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    for (const id of names) await this.deleteSubscription(id);
    for (const [id, state] of this.subscriptions) {
      const s = await state.catch(() => null);
      if (s?.topic === name) await this.forget(id, s);
    }
    await this.admin
      .topic(name)
      .delete()
      .catch((err: unknown) => {
        if (!isMissing(err)) throw err;
      });
  }

  private async forget(id: string, s: SubscriptionState | null): Promise<void> {
    this.subscriptions.delete(id);
    await s?.endpoint?.close();
  }

  private async deleteSubscription(id: string): Promise<void> {
    const local = this.subscriptions.get(id);
    if (local !== undefined) await this.forget(id, await local.catch(() => null));
    await this.admin
      .subscription(id)
      .delete()
      .catch((err: unknown) => {
        if (!isMissing(err)) throw err;
      });
  }

  async clean(prefix: string): Promise<readonly string[]> {
    const removed: string[] = [];
    const [snapshots] = await this.admin.getSnapshots();
    for (const snap of snapshots) {
      const id = resourceId(snap.name);
      if (!id.startsWith(prefix)) continue;
      await snap.delete().catch((err: unknown) => {
        if (!isMissing(err)) throw err;
      });
      removed.push(id);
    }
    const [subs] = await this.admin.getSubscriptions();
    for (const sub of subs) {
      const id = resourceId(sub.name);
      if (!id.startsWith(prefix)) continue;
      await this.deleteSubscription(id);
      removed.push(id);
    }
    const [topics] = await this.admin.getTopics();
    for (const topic of topics) {
      const id = resourceId(topic.name);
      if (!id.startsWith(prefix)) continue;
      await topic.delete().catch((err: unknown) => {
        if (!isMissing(err)) throw err;
      });
      removed.push(id);
    }
    return removed;
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    refuseMode(this.capabilities.deliveryModes, options.mode);
    if (options.idempotent) {
      throw new UsageError(
        `${NAME}: idempotent publishing is not supported (Pub/Sub does not deduplicate publishes)`,
      );
    }
    return new PubSubProducer(openClient(this.settings), this.settings.ordering);
  }

  async createConsumer(options: ConsumerOptions): Promise<Consumer> {
    refuseMode(deliveryModesOf(this.capabilities, options.delivery), options.mode, options.delivery);
    if (options.patterns !== undefined) {
      throw new UsageError(`${NAME}: pattern subscriptions are not supported (a subscription has one topic)`);
    }
    if (options.topics.length !== 1) {
      throw new UsageError(
        `${NAME}: a consumer reads one topic (one subscription); got ${options.topics.length}`,
      );
    }
    const topic = options.topics[0]!;
    const sub = await this.subscriptionFor(topic, options);
    options.onAssign?.({
      partitions: [{ topic, partition: 0 }],
      from: sub.created ? options.start : "committed",
    });
    if (sub.endpoint !== null) {
      const consumer = new PubSubPushConsumer(sub.endpoint, topic, this.settings.maxBatch);
      await sub.endpoint.join(consumer);
      return consumer;
    }
    const client = openClient(this.settings);
    if (this.settings.pull === "unary") {
      return new UnaryPullConsumer(client, openSubscriberClient(client), sub.path, topic, options);
    }
    const consumer = new StreamingPullConsumer(client, sub.id, topic, options, this.settings);
    await consumer.start();
    return consumer;
  }

  /** The group's subscription: made by its first consumer, shared by the rest (queue). */
  private async subscriptionFor(topic: string, options: ConsumerOptions): Promise<SubscriptionState> {
    const id = subscriptionId(topic, options.group);
    let opening = this.subscriptions.get(id);
    if (opening === undefined) {
      opening = this.openSubscription(topic, id, options);
      this.subscriptions.set(id, opening);
      opening.catch(() => this.subscriptions.delete(id));
    }
    const sub = await opening;
    const exactlyOnce = options.mode === "exactly-once";
    if (sub.delivery !== options.delivery || sub.exactlyOnce !== exactlyOnce) {
      throw new UsageError(
        `${NAME}: group ${options.group} already has a ${sub.delivery} subscription` +
          `${sub.exactlyOnce ? " with exactly-once delivery" : ""}; one group takes one delivery style and mode`,
      );
    }
    return sub;
  }

  private async openSubscription(topic: string, id: string, o: ConsumerOptions): Promise<SubscriptionState> {
    const exactlyOnce = o.mode === "exactly-once";
    const endpoint =
      o.delivery === "push"
        ? await PushEndpoint.open(`/push/${encodeURIComponent(id)}`, (url) => this.movePush(id, url))
        : null;
    try {
      let created = true;
      try {
        await this.admin.topic(topic).createSubscription(id, {
          ackDeadlineSeconds: this.settings.ackDeadlineS,
          enableMessageOrdering: this.settings.ordering,
          enableExactlyOnceDelivery: exactlyOnce,
          ...(endpoint === null ? {} : { pushConfig: { pushEndpoint: endpoint.url } }),
        });
      } catch (err) {
        if (grpcCode(err) !== GRPC.ALREADY_EXISTS) throw err;
        // Made by an earlier consumer of this group in this run (another adapter connection, e.g.
        // after an outage): it keeps what the group has not acknowledged. Point its pushes here.
        created = false;
        if (endpoint !== null) await this.movePush(id, endpoint.url);
      }
      if (created) await this.seekToStart(id, o.start);
      const path = `projects/${this.settings.project}/subscriptions/${id}`;
      return { id, path, topic, delivery: o.delivery, exactlyOnce, created, endpoint };
    } catch (err) {
      await endpoint?.close();
      throw err;
    }
  }

  /**
   * Where a new subscription starts. The service starts one at its creation; the emulator hands a
   * new subscription every message the topic retains, so `latest` seeks to now (the emulator
   * seeks to the second: what was published earlier in that second comes too) and `earliest`
   * seeks back to the start of the topic's retention, as the service needs. The emulator does not
   * implement Seek on subscriptions with message ordering: `earliest` needs none there (the new
   * subscription already has everything retained), `latest` cannot be had.
   */
  private async seekToStart(id: string, start: StartPosition): Promise<void> {
    const to = start === "latest" ? new Date() : new Date(0);
    try {
      await this.admin.subscription(id).seek(to);
    } catch (err) {
      if (grpcCode(err) !== GRPC.UNIMPLEMENTED || !this.settings.ordering) throw err;
      if (start === "latest") {
        // Not through deleteSubscription: this runs inside the subscription's own opening.
        await this.admin
          .subscription(id)
          .delete()
          .catch(() => {});
        throw new UsageError(
          `${NAME}: a group starting at latest needs Seek, which the emulator does not implement on ` +
            "subscriptions with message ordering; run it with --set pubsub.ordering=false",
        );
      }
    }
  }

  private async movePush(id: string, url: string): Promise<void> {
    await this.admin.subscription(id).modifyPushConfig({ pushEndpoint: url });
  }

  async close(): Promise<void> {
    for (const [id, state] of this.subscriptions) await this.forget(id, await state.catch(() => null));
    await this.admin.close().catch(() => {});
  }
}

function refuseMode(modes: readonly DeliveryMode[], mode: DeliveryMode, delivery?: DeliveryStyle): void {
  if (!modes.includes(mode)) {
    throw new UsageError(
      `${NAME}: delivery mode ${mode} is not supported${delivery === undefined ? "" : ` with ${delivery} delivery`}`,
    );
  }
}
