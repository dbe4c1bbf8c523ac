/**
 * Pull delivery with one unary Pull RPC at a time (setting `pull=unary`), through the generated
 * subscriber client. A Pull the server holds open (it answers once messages exist, or empty after
 * a few seconds) is never cut short: cancelling it can lose what the server had just handed to it
 * until those messages' ack deadline passes (measured: 10 of 1,730 messages, back after 10 s). So
 * `poll` waits up to `waitMs` for the outstanding Pull and, if it has not answered, returns
 * nothing and leaves it outstanding for the next poll.
 *
 * No lease extension: a message polled and not committed within the ack deadline is redelivered.
 * Commit is an Acknowledge RPC, awaited (under exactly-once the server refuses expired ack ids and
 * the commit fails). `close` nacks (ModifyAckDeadline 0) what it holds uncommitted; `kill` sends
 * nothing.
 */
import type { PubSub, protos, v1 } from "@google-cloud/pubsub";
import type { CommitValue, ConsumerOptions, Delivery, PullConsumer } from "../contract.js";
import { toDelivery } from "./messages.js";
import { NAME } from "./settings.js";

type PullResponse = [protos.google.pubsub.v1.IPullResponse, ...unknown[]];
/** gax's call promise; `cancel` ends the RPC. */
type CallPromise = Promise<PullResponse> & { cancel?: () => void };

/** The client's deadline for one Pull; the emulator answers an empty subscription after about 4 s. */
const PULL_DEADLINE_MS = 30_000;

export class UnaryPullConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  private readonly ackIds = new WeakMap<Delivery, string>();
  /** Ack ids delivered and not yet committed: nacked at close. */
  private readonly uncommitted = new Set<string>();
  private outstanding: { call: CallPromise; settled: Promise<PullResponse | Error> } | null = null;
  private closed = false;

  constructor(
    private readonly client: PubSub,
    private readonly subscriber: v1.SubscriberClient,
    private readonly subscription: string,
    private readonly topic: string,
    private readonly consumer: ConsumerOptions,
  ) {}

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    if (this.closed) return [];
    if (this.outstanding === null) {
      const call = this.subscriber.pull(
        { subscription: this.subscription, maxMessages: Math.max(1, max) },
        { timeout: PULL_DEADLINE_MS },
      ) as unknown as CallPromise;
      this.outstanding = {
        call,
        settled: call.then(
          (r) => r,
          (e: unknown) => e as Error,
        ),
      };
    }
    const { settled } = this.outstanding;
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      settled,
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), waitMs);
      }),
    ]);
    clearTimeout(timer);
    if (result === null) return [];
    this.outstanding = null;
    if (result instanceof Error) {
      // A Pull the server held to its end answers DEADLINE_EXCEEDED on some versions: no messages.
      if ((result as { code?: number }).code === 4) return [];
      throw new Error(`${NAME}: pull failed: ${result.message}`, { cause: result });
    }
    const received = result[0].receivedMessages ?? [];
    return received.map((r) => {
      const m = r.message ?? {};
      const data = m.data instanceof Uint8Array ? m.data : Buffer.from(String(m.data ?? ""), "base64");
      const d = toDelivery(
        this.topic,
        data,
        m.attributes as Record<string, string> | null,
        r.deliveryAttempt,
      );
      const ackId = r.ackId ?? "";
      this.ackIds.set(d, ackId);
      this.uncommitted.add(ackId);
      return d;
    });
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    const ackIds = deliveries.map((d) => {
      const id = this.ackIds.get(d);
      if (id === undefined) throw new Error(`${NAME}: commit of a delivery this consumer did not make`);
      return id;
    });
    for (const id of ackIds) this.uncommitted.delete(id);
    if (ackIds.length > 0) {
      try {
        await this.subscriber.acknowledge({ subscription: this.subscription, ackIds });
      } catch (err) {
        // Exactly-once: INVALID_ARGUMENT naming the expired ack ids; those messages come back.
        throw new Error(`${NAME}: acknowledge failed (${this.consumer.mode}): ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    return { kind: "acks", count: deliveries.length };
  }

  private cancelOutstanding(): void {
    // Messages the server hands to a cancelled Pull return after their ack deadline.
    this.outstanding?.call.cancel?.();
    this.outstanding = null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelOutstanding();
    if (this.uncommitted.size > 0) {
      await this.subscriber
        .modifyAckDeadline({
          subscription: this.subscription,
          ackIds: [...this.uncommitted],
          ackDeadlineSeconds: 0,
        })
        .catch(() => {});
      this.uncommitted.clear();
    }
    await this.subscriber.close().catch(() => {});
    await this.client.close().catch(() => {});
  }

  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelOutstanding();
    this.uncommitted.clear();
    await this.subscriber.close().catch(() => {});
    await this.client.close().catch(() => {});
  }
}
