/**
 * JetStream consumers. A group is one durable consumer on the topic's stream: its members share it
 * (competing consumers), and separate groups are separate durables (pub-sub). Pull members run the
 * client's `consume()` (pull requests kept topped up to `prefetch`) into a buffer that `poll`
 * drains; push members queue-subscribe to the durable's deliver subject (`deliver_group`).
 *
 * Delivery modes map to the consumer's ack policy: at-most-once = `none` (the server forgets a
 * message once sent); at-least-once = `explicit`, acknowledged at commit (unacknowledged ones come
 * back after `ack_wait`); exactly-once = `explicit` with double acks: commit waits for the server
 * to confirm every ack, so a committed message is never redelivered.
 */
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  isFlowControlMsg,
  isHeartbeatMsg,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  nanos,
  type Subscription,
} from "nats";
// Push messages arrive on a plain subscription; the client's own wrapper gives them ack/ackAck.
// Public in the nats.js source, not re-exported by its package entry point.
import { toJsMsg } from "nats/lib/jetstream/jsmsg.js";
import type {
  Assignment,
  CommitValue,
  ConsumerOptions,
  Delivery,
  DeliveryMode,
  DeliveryStyle,
  PullConsumer,
  PushConsumer,
} from "../contract.js";
import { flushOrClosed, NATS_KEY_HEADER } from "../nats/index.js";
import { MAX_PUSH_BATCH, PushBatches } from "../push-batches.js";
import { deliverSubject, durableName, isNotFound, type Partition } from "./streams.js";

const NAME = "jetstream";

export interface JetStreamConsumerSettings {
  readonly ackWaitMs: number;
  readonly ackTimeoutMs: number;
}

function ackPolicyFor(mode: DeliveryMode): AckPolicy {
  return mode === "at-most-once" ? AckPolicy.None : AckPolicy.Explicit;
}

/**
 * Finds or creates the group's durable on the topic's stream. An existing durable resumes from its
 * ack floor ("committed"); a new one starts where `start` says (committed with nothing committed
 * yet = the whole stream).
 */
export async function ensureDurable(
  jsm: JetStreamManager,
  partition: Partition,
  options: ConsumerOptions,
  settings: JetStreamConsumerSettings,
): Promise<Assignment["from"]> {
  const { stream, topic } = partition;
  const durable = durableName(options.group);
  const wanted: Partial<ConsumerConfig> = {
    durable_name: durable,
    ack_policy: ackPolicyFor(options.mode),
    ack_wait: nanos(settings.ackWaitMs),
    deliver_policy: options.start === "latest" ? DeliverPolicy.New : DeliverPolicy.All,
    ...(options.mode === "at-most-once" ? {} : { max_ack_pending: Math.max(1, options.prefetch) }),
    ...(options.delivery === "push"
      ? { deliver_subject: deliverSubject(partition, options.group), deliver_group: durable }
      : {}),
  };
  const existing = await jsm.consumers.info(stream, durable).catch((err: unknown) => {
    if (isNotFound(err)) return null;
    throw err;
  });
  if (existing !== null) {
    checkCompatible(topic, options, existing.config);
    return "committed";
  }
  try {
    await jsm.consumers.add(stream, wanted);
  } catch (err) {
    if (/stream not found/i.test((err as Error).message)) {
      throw new Error(`${NAME}: topic "${topic}" has no stream ${stream}; create the topic first`, {
        cause: err,
      });
    }
    // Another member of the group created it first with a different start: join that one.
    const raced = await jsm.consumers.info(stream, durable).catch(() => null);
    if (raced === null) throw err;
    checkCompatible(topic, options, raced.config);
    return "committed";
  }
  return options.start === "latest" ? "latest" : "earliest";
}

function checkCompatible(topic: string, options: ConsumerOptions, config: ConsumerConfig): void {
  const style: DeliveryStyle = config.deliver_subject ? "push" : "pull";
  const want = ackPolicyFor(options.mode);
  if (style !== options.delivery || config.ack_policy !== want) {
    throw new Error(
      `${NAME}: group "${options.group}" already has a ${style} consumer with ack policy ${config.ack_policy} on topic "${topic}"; ` +
        `this consumer wants ${options.delivery} with ack policy ${want}: a group's members must share delivery style and mode (use a fresh topic or another group)`,
    );
  }
}

function toDelivery(m: JsMsg, p: Partition): Delivery {
  return {
    topic: p.topic,
    partition: p.partition,
    offset: m.seq,
    key: m.headers?.get(NATS_KEY_HEADER) || null,
    payload: m.data,
    redelivered: m.redelivered,
  };
}

/** What both consumer styles share: the connection, the delivery → message map, commit. */
abstract class JetStreamConsumerBase {
  protected readonly messages = new WeakMap<Delivery, JsMsg>();
  protected failure: unknown = null;

  constructor(
    protected readonly nc: NatsConnection,
    protected readonly mode: DeliveryMode,
    protected readonly settings: JetStreamConsumerSettings,
  ) {}

  protected wrap(m: JsMsg, p: Partition): Delivery {
    const d = toDelivery(m, p);
    this.messages.set(d, m);
    return d;
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    if (this.mode === "at-most-once") return { kind: "acks", count: deliveries.length };
    const msgs = deliveries.map((d) => {
      const m = this.messages.get(d);
      if (m === undefined) throw new Error(`${NAME}: commit of a delivery this consumer did not make`);
      return m;
    });
    if (this.mode === "exactly-once") {
      // Double ack: the server confirms each ack, so nothing committed is redelivered.
      const confirmed = await Promise.all(msgs.map((m) => m.ackAck({ timeout: this.settings.ackTimeoutMs })));
      const missing = confirmed.filter((ok) => !ok).length;
      if (missing > 0)
        throw new Error(`${NAME}: the server did not confirm ${missing} of ${msgs.length} acks`);
    } else {
      for (const m of msgs) m.ack();
      // The acks have reached the server once it answers the PING behind them.
      await flushOrClosed(this.nc);
    }
    return { kind: "acks", count: deliveries.length };
  }

  protected async closeConnection(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.close();
  }
}

export class JetStreamPullConsumer extends JetStreamConsumerBase implements PullConsumer {
  readonly delivery = "pull" as const;
  private buffer: Delivery[] = [];
  private wake: (() => void) | null = null;
  private readonly iterators: ConsumerMessages[] = [];

  async subscribe(partitions: readonly Partition[], group: string, prefetch: number): Promise<void> {
    const js = this.nc.jetstream();
    // The prefetch is shared out over the partitions, at least one each.
    const each = Math.max(1, Math.ceil(prefetch / partitions.length));
    for (const p of partitions) {
      const consumer = await js.consumers.get(p.stream, durableName(group));
      const iterator = await consumer.consume({
        max_messages: each,
        callback: (m) => {
          this.buffer.push(this.wrap(m, p));
          this.wake?.();
        },
      });
      void iterator.closed().then((err) => {
        if (err) {
          this.failure ??= err;
          this.wake?.();
        }
      });
      this.iterators.push(iterator);
    }
  }

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    if (this.buffer.length === 0 && this.failure === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    if (this.failure !== null) throw this.failure;
    const batch = this.buffer.length <= max ? this.buffer : this.buffer.slice(0, max);
    this.buffer = batch === this.buffer ? [] : this.buffer.slice(max);
    return batch;
  }

  /** Buffered, never-polled messages stay unacknowledged: the server redelivers them. */
  async close(): Promise<void> {
    for (const it of this.iterators) it.stop();
    this.buffer = [];
    await this.closeConnection();
  }

  async kill(): Promise<void> {
    this.buffer = [];
    await this.closeConnection();
    // Abrupt for the server (the connection is gone first), but the iterators' own timers
    // (heartbeat monitor, pull refills) would otherwise keep the process alive after the run.
    for (const it of this.iterators) it.stop();
  }
}

export class JetStreamPushConsumer extends JetStreamConsumerBase implements PushConsumer {
  readonly delivery = "push" as const;
  private readonly batcher = new PushBatches<Delivery>(MAX_PUSH_BATCH, { coalesce: "read" });
  private readonly subs: Subscription[] = [];

  async subscribe(partitions: readonly Partition[], group: string): Promise<void> {
    for (const p of partitions) {
      this.subs.push(
        this.nc.subscribe(deliverSubject(p, group), {
          queue: durableName(group),
          callback: (err, m) => {
            if (err !== null) {
              this.failure ??= err;
              return;
            }
            if (isHeartbeatMsg(m) || isFlowControlMsg(m)) return;
            this.batcher.push(this.wrap(toJsMsg(m, this.settings.ackTimeoutMs), p));
          },
        }),
      );
    }
    await flushOrClosed(this.nc);
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    this.batcher.start(onBatch);
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    await this.batcher.settled();
    this.batcher.stop();
    await this.closeConnection();
    if (this.batcher.error !== null) throw this.batcher.error;
  }

  async kill(): Promise<void> {
    this.batcher.stop();
    await this.closeConnection();
  }
}
