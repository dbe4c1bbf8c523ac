/**
 * An Artemis producer: one connection, one sender link per topic.
 *
 * at-least-once: messages go unsettled and `send` resolves when the broker accepted every one (with
 * durable messages and the journal's datasync, after they are on disk). at-most-once: pre-settled
 * (the client forgets each message as it writes it; the broker never answers), so `send` resolves
 * once every transfer is on the wire under the broker's link credit, like a publish without
 * confirms.
 *
 * Messages are marked durable (AMQP's default is not: a broker restart would drop them) unless the
 * `durable=false` setting says otherwise, and sent with the routing capability of the topic's
 * address (`topic` = multicast, `queue` = anycast) so that a send never creates an address without
 * queues, where Artemis would accept and drop it.
 */
import { message as amqpMessage, type Delivery as RheaDelivery, type Sender, types } from "rhea-promise";
import type { Properties } from "../../core/predicates.js";
import { type OutgoingMessage, type Producer, type SendAck, SendError } from "../contract.js";
import { type ArtemisConnection, describeAmqpError, NAME, type Routing } from "./connection.js";
import { KEY_PROPERTY } from "./names.js";

/** No disposition for this long: the batch's outcome is unknown. */
const SEND_TIMEOUT_MS = 30_000;

type Outcome = "accepted" | "refused";

interface Tracked {
  readonly settle: (outcome: Outcome, why?: string) => void;
}

/** A sender link with its outstanding unsettled deliveries. */
class TopicSender {
  private readonly outstanding = new Map<number, Tracked>();
  private waiters: (() => void)[] = [];
  failure: string | null = null;

  constructor(readonly link: Sender) {
    const settle = (outcome: Outcome) => (ctx: { delivery?: RheaDelivery }) => {
      const d = ctx.delivery;
      if (d === undefined) return;
      const t = this.outstanding.get(d.id);
      if (t === undefined) return;
      this.outstanding.delete(d.id);
      t.settle(
        outcome,
        outcome === "refused"
          ? describeAmqpError((d.remote_state as { error?: unknown } | undefined)?.error ?? "refused")
          : undefined,
      );
    };
    link.on("accepted" as never, settle("accepted"));
    for (const event of ["rejected", "released", "modified"]) link.on(event as never, settle("refused"));
    link.on("sendable" as never, () => this.wake());
    link.on("sender_error" as never, () => this.fail(`sender link closed: ${describeAmqpError(link.error)}`));
    link.on("sender_close" as never, () => this.fail("sender link closed by the broker"));
  }

  /** Fails everything outstanding and every later send (the link or its connection is gone). */
  fail(why: string): void {
    this.failure ??= why;
    const all = [...this.outstanding.values()];
    this.outstanding.clear();
    for (const t of all) t.settle("refused", `unknown: ${why}`);
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves at the next change that may make the link sendable; throws once it has failed. */
  async credit(): Promise<void> {
    if (this.failure === null && !this.link.sendable()) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure !== null) throw new Error(this.failure);
  }

  /** Deliveries handed to rhea on this link so far. */
  handedOver = 0;

  /** Deliveries rhea has transmitted on this link (its delivery-count; each transfer spends a credit). */
  private transmittedCount(): number {
    return (this.link as unknown as { _link: { delivery_count: number } })._link.delivery_count;
  }

  /**
   * Resolves once the first `count` deliveries handed over are on the wire. rhea queues a send
   * while the link has no credit, and a link detached with transfers still queued drops them: a
   * pre-settled send is only done once transmitted.
   */
  async transmitted(count: number): Promise<void> {
    while (this.transmittedCount() < count) {
      if (this.failure !== null) throw new Error(this.failure);
      if (this.link.credit > 0) await new Promise((resolve) => setImmediate(resolve));
      else await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  track(delivery: RheaDelivery): Promise<{ outcome: Outcome; why?: string }> {
    return new Promise((resolve) => {
      this.outstanding.set(delivery.id, {
        settle: (outcome, why) => resolve({ outcome, ...(why ? { why } : {}) }),
      });
    });
  }
}

export class ArtemisProducer implements Producer {
  private readonly senders = new Map<string, Promise<TopicSender>>();
  private closed = false;

  constructor(
    private readonly conn: ArtemisConnection,
    private readonly routing: Routing,
    private readonly settled: boolean,
    private readonly durable: boolean,
  ) {
    conn.connection.on("disconnected" as never, () => {
      for (const s of this.senders.values())
        void s.then(
          (t) => t.fail("connection lost"),
          () => {},
        );
    });
  }

  private senderFor(topic: string): Promise<TopicSender> {
    let s = this.senders.get(topic);
    if (s === undefined) {
      s = this.conn.connection
        .createSender({
          name: `bb-p-${topic}`,
          target: { address: topic, capabilities: [this.routing === "multicast" ? "topic" : "queue"] },
          snd_settle_mode: this.settled ? 1 : 0,
          rcv_settle_mode: 0,
        })
        .then((link) => new TopicSender(link));
      s.catch(() => this.senders.delete(topic));
      this.senders.set(topic, s);
    }
    return s;
  }

  async send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    if (this.closed) throw new SendError(`${NAME}: producer closed`, true);
    const outcomes: Promise<{ outcome: Outcome; why?: string }>[] = [];
    let handedOver = 0;
    const lastOf = new Map<TopicSender, number>();
    try {
      for (const m of batch) {
        const sender = await this.senderFor(m.topic);
        // Checked right before the send, with no await between: concurrent sends (the runner's
        // lanes) must not all pass one check and overflow rhea's session buffer together.
        while (!sender.link.sendable()) await sender.credit();
        const delivery = sender.link.send({
          body: amqpMessage.data_section(
            Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength),
          ),
          durable: this.durable,
          ...applicationProperties(m.key, m.properties),
        });
        handedOver++;
        sender.handedOver++;
        if (this.settled) lastOf.set(sender, sender.handedOver);
        else outcomes.push(sender.track(delivery));
      }
      // Pre-settled: done once on the wire (the broker never answers).
      for (const [sender, count] of lastOf) await sender.transmitted(count);
    } catch (err) {
      // Nothing handed over: the broker has none of it. Otherwise some may have arrived.
      await Promise.race([Promise.allSettled(outcomes), sleep(100)]);
      throw new SendError(`${NAME}: send failed: ${describeAmqpError(err)}`, handedOver === 0, {
        cause: err,
      });
    }
    if (!this.settled) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), SEND_TIMEOUT_MS);
      });
      const done = await Promise.race([Promise.all(outcomes), timeout]);
      clearTimeout(timer);
      if (done === "timeout") {
        throw new SendError(`${NAME}: no disposition within ${SEND_TIMEOUT_MS} ms`, false);
      }
      const refused = done.filter((o) => o.outcome === "refused");
      if (refused.length > 0) {
        // Every message refused: definitely not taken. Some refused, some accepted: the batch as a
        // whole has no single outcome, so it is reported unknown.
        const unknown = refused.some((o) => o.why?.startsWith("unknown:"));
        throw new SendError(
          `${NAME}: ${refused.length} of ${batch.length} messages not accepted: ${refused[0]?.why ?? "refused"}`,
          !unknown && refused.length === batch.length,
        );
      }
    }
    return batch.map(() => ({ partition: 0, offset: null }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Links first: their detach travels behind the transfers already written.
    for (const s of this.senders.values())
      await s
        .then(
          (t) => t.link.close(),
          () => {},
        )
        .catch(() => {});
    await this.conn.close();
  }
}

/**
 * The key and the message properties as AMQP application properties. Numbers go typed: rhea would
 * send a positive integer as an unsigned int; a long (or a double) is what a selector compares
 * numerically as JMS says.
 */
function applicationProperties(
  key: string | null,
  properties: Properties | undefined,
): { application_properties?: Record<string, unknown> } {
  if (key === null && properties === undefined) return {};
  const out: Record<string, unknown> = {};
  if (properties !== undefined) {
    for (const [name, v] of Object.entries(properties)) {
      out[name] = typeof v === "string" ? v : Number.isInteger(v) ? types.wrap_long(v) : types.wrap_double(v);
    }
  }
  if (key !== null) out[KEY_PROPERTY] = key;
  return { application_properties: out };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
