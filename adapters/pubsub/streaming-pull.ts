/**
 * Pull delivery over StreamingPull, through the client's Subscription: the client holds the
 * stream(s) open, leases what arrives (extending each message's ack deadline while it is held),
 * and stops the stream while `prefetch` messages are outstanding (flow control, excess messages
 * not allowed). What it hands over waits in a buffer that `poll` drains.
 *
 * Commit is the ack: under exactly-once (a subscription with exactly-once delivery) it waits
 * for the server's answer and fails when the server refused an ack (its ack id had expired), so
 * what it returns is acknowledged for good; otherwise the client sends acks in batches and
 * Pub/Sub treats them as best effort. `close` nacks what it still holds (redelivered at once to
 * the group's other consumers); `kill` cuts the stream and sends nothing, so the leases run out
 * and the messages return after the ack deadline.
 */
import {
  Duration,
  type Message,
  type PubSub,
  type SubscriberOptions,
  type Subscription,
} from "@google-cloud/pubsub";
import type { CommitValue, ConsumerOptions, Delivery, PullConsumer } from "../contract.js";
import { WaitingBuffer } from "../reference/client/waiting-buffer.js";
import { MIN_STREAM_DEADLINE_S } from "./descriptor.js";
import { toDelivery } from "./messages.js";
import { NAME, type PubSubSettings } from "./settings.js";

export { MIN_STREAM_DEADLINE_S };

export class StreamingPullConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  private readonly buffer = new WaitingBuffer<Delivery>();
  private readonly messages = new WeakMap<Delivery, Message>();
  private readonly subscription: Subscription;
  private readonly options: SubscriberOptions;
  private readonly ackBatchMs: number;
  private closed = false;
  private streamError: Error | null = null;

  constructor(
    private readonly client: PubSub,
    subscriptionId: string,
    private readonly topic: string,
    private readonly consumer: ConsumerOptions,
    settings: PubSubSettings,
  ) {
    // StreamingPull takes stream ack deadlines of 10-600 s only, the emulator too.
    const lease = Duration.from({ seconds: Math.max(MIN_STREAM_DEADLINE_S, settings.ackDeadlineS) });
    this.ackBatchMs = settings.ackBatchMs;
    this.options = {
      flowControl: { maxMessages: Math.max(1, consumer.prefetch), allowExcessMessages: false },
      // The lease the client asks for and extends: the subscription's own deadline, fixed (the
      // client would otherwise track its ack-time 99th percentile, at least 60 s under exactly-once).
      minAckDeadline: lease,
      maxAckDeadline: lease,
      batching: { maxMilliseconds: settings.ackBatchMs },
      streamingOptions: { maxStreams: settings.streams },
    };
    this.subscription = client.subscription(subscriptionId, this.options);
  }

  /**
   * Opens the streams and resolves once they are open (its gRPC channel ready): the emulator does
   * not apply StreamingPull flow control and hands a backlog to whichever stream is open first, so
   * a consumer counts as started only once it can take its share. The client exposes no such
   * signal; its stream pool's `start` (idempotent: it fills missing streams, then waits for the
   * channel) gives it, where present.
   */
  async start(): Promise<void> {
    this.subscription.on("message", (m: Message) => {
      if (this.closed) return;
      const d = toDelivery(this.topic, m.data, m.attributes, m.deliveryAttempt);
      this.messages.set(d, m);
      this.buffer.push([d]);
    });
    // A stream the client gave up on (its retries exhausted): the next poll reports it.
    this.subscription.on("error", (err: Error) => {
      this.streamError = err;
    });
    const pool = (
      this.subscription as unknown as { _subscriber?: { _stream?: { start?: () => Promise<void> } } }
    )._subscriber?._stream;
    await pool?.start?.().catch(() => {});
  }

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    if (this.streamError !== null) {
      const err = this.streamError;
      this.streamError = null;
      throw new Error(`${NAME}: streaming pull failed: ${err.message}`, { cause: err });
    }
    return this.buffer.take(max, waitMs);
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    const exactlyOnce = this.consumer.mode === "exactly-once";
    const pending: Promise<unknown>[] = [];
    for (const d of deliveries) {
      const m = this.messages.get(d);
      if (m === undefined) throw new Error(`${NAME}: commit of a delivery this consumer did not make`);
      if (exactlyOnce) pending.push(m.ackWithResponse());
      else m.ack();
    }
    // Under exactly-once a refused ack (AckError: the ack id expired, the message comes back)
    // fails the commit: the runner records its outcome as unknown.
    const results = await Promise.allSettled(pending);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (refused.length > 0) {
      throw new Error(
        `${NAME}: ${refused.length} of ${deliveries.length} acks refused: ${(refused[0]!.reason as Error).message}`,
      );
    }
    return { kind: "acks", count: deliveries.length };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The client nacks everything it still holds (NackImmediately) before the stream closes.
    await this.subscription.close().catch(() => {});
    this.subscription.removeAllListeners();
    await this.client.close().catch(() => {});
  }

  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A zero close timeout: the client drops its inventory and its lease extensions without a
    // nack, and the stream is cut (RST_STREAM), as a dying process would leave it.
    this.subscription.setOptions({
      ...this.options,
      closeOptions: { timeout: Duration.from({ seconds: 0 }) },
    });
    await this.subscription.close().catch(() => {});
    this.subscription.removeAllListeners();
    // Acks of commits that returned before the kill sit in the client's batch for up to
    // ackBatchMs: they were committed, so let them go out before the channel closes.
    await new Promise((resolve) => setTimeout(resolve, this.ackBatchMs + 20));
    await this.client.close().catch(() => {});
  }
}
