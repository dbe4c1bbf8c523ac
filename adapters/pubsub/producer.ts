/**
 * Publishing through the client's batching publisher: a batch is queued whole, then flushed at
 * once (one Publish request per ordering key and up to 1 MiB, the client's batching limits), and
 * the send resolves when every message has its server-assigned id. With ordering on, the key is
 * the ordering key: the client keeps one key's messages in order and sends them one request at a
 * time; a failed publish pauses that key until `resumePublishing`, which the next send calls.
 */
import type { PubSub, Topic } from "@google-cloud/pubsub";
import { type OutgoingMessage, type Producer, type SendAck, SendError } from "../contract.js";
import { GRPC, grpcCode } from "./client.js";
import { attributesOf } from "./messages.js";
import { NAME } from "./settings.js";

/** Errors after which the server certainly stored nothing. */
const DEFINITE = new Set<number>([GRPC.INVALID_ARGUMENT, GRPC.NOT_FOUND, GRPC.FAILED_PRECONDITION]);

export class PubSubProducer implements Producer {
  private readonly topics = new Map<string, Topic>();
  /** Ordering keys whose publishing the client paused after a failure. */
  private readonly paused = new Set<string>();

  constructor(
    private readonly client: PubSub,
    private readonly ordering: boolean,
  ) {}

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (topic === undefined) {
      topic = this.client.topic(name, {
        messageOrdering: this.ordering,
        // Flushed explicitly after each batch; the timer only matters if a flush is missed.
        batching: { maxMessages: 1000, maxMilliseconds: 10 },
      });
      this.topics.set(name, topic);
    }
    return topic;
  }

  async send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    for (const key of this.paused) for (const t of this.topics.values()) t.resumePublishing(key);
    this.paused.clear();
    const used = new Set<Topic>();
    const published = batch.map((m) => {
      const topic = this.topic(m.topic);
      used.add(topic);
      const orderingKey = this.ordering && m.key !== null ? m.key : undefined;
      return topic
        .publishMessage({
          data: Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength),
          attributes: attributesOf(m),
          ...(orderingKey === undefined ? {} : { orderingKey }),
        })
        .catch((err: unknown) => {
          if (orderingKey !== undefined) this.paused.add(orderingKey);
          throw err;
        });
    });
    for (const topic of used) void topic.flush().catch(() => {});
    const results = await Promise.allSettled(published);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) {
      const err: unknown = failed.reason;
      const code = grpcCode(err);
      const definite =
        code !== undefined && DEFINITE.has(code) && results.every((r) => r.status === "rejected");
      throw new SendError(`${NAME}: publish failed: ${(err as Error)?.message ?? String(err)}`, definite, {
        cause: err,
      });
    }
    // Acknowledged with a message id, which is no position: no offset.
    return batch.map(() => ({ partition: 0, offset: null }));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.topics.values()].map((t) => t.flush()));
    await this.client.close().catch(() => {});
  }
}
