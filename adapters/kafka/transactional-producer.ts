/**
 * The kafka adapter's transactional producer: read-process-write in one Kafka transaction, on
 * @platformatic/kafka's transactions (the same requests as the adapter's exactly-once consumer
 * commit, see README "Exactly-once: what is atomic"):
 *
 * - creating one sends InitProducerId with its transactional id: the broker bumps the epoch,
 *   fencing every older instance, and aborts the transaction that instance left open;
 * - `send` writes inside the open transaction (AddPartitionsToTxn, then idempotent transactional
 *   Produce; one send at a time, so the client's sequence numbers stay right);
 * - `sendOffsets` is AddOffsetsToTxn plus TxnOffsetCommit carrying the consumer's member id and the
 *   generation each record was fetched under (KIP-447): a member the group has moved on from is
 *   refused, and its transaction cannot commit;
 * - `commit` / `abort` are EndTxn.
 *
 * Records are placed with the adapter's own partitioner (Java's: murmur2 & 0x7fffffff), as its
 * plain producer does: the client's default (murmur2 >>> 0) would put some keys elsewhere.
 */
import type { ClusterMetadata } from "@platformatic/kafka";
import {
  type CommitValue,
  type Consumer,
  type Delivery,
  type OutgoingMessage,
  type SendAck,
  SendError,
  type TransactionalProducer,
} from "../contract.js";
import { describeError, kafkaErrorIds, outcomeUnknown, type RoutedProducer } from "./clients.js";
import { KafkaPullConsumer } from "./consumer.js";
import { keyPartition } from "./producer.js";
import { NAME } from "./settings.js";

/** The client's transaction object (its class is not exported by name). */
type Transaction = Awaited<ReturnType<RoutedProducer["beginTransaction"]>>;

/** The epoch moved on: a newer instance of the transactional id exists (it aborted our transaction). */
const FENCED = new Set(["PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"]);

export class KafkaTransactionalProducer implements TransactionalProducer {
  /** The client's transaction object (begun lazily, after the last commit or abort). */
  private tx: Transaction | null = null;
  /** Something was added to the broker's transaction (a partition or the group's offsets). */
  private touched = false;
  private readonly partitionCounts = new Map<string, number>();
  private closed = false;
  /** InitProducerId was answered once: this instance has its epoch. */
  private initialized = false;

  private constructor(private readonly client: RoutedProducer) {}

  /** Connects and fences: InitProducerId for the transactional id happens here, not at the first send. */
  static async create(client: RoutedProducer): Promise<KafkaTransactionalProducer> {
    const p = new KafkaTransactionalProducer(client);
    try {
      await p.begin();
    } catch (err) {
      await closeClient(client);
      throw new Error(`${NAME}: InitProducerId for a transactional producer: ${describeError(err)}`, {
        cause: err,
      });
    }
    return p;
  }

  private async begin(): Promise<Transaction> {
    if (this.tx === null) {
      // The client forgets its producer id when fenced; a new InitProducerId here would fence the
      // newer instance in turn. Fenced is final, as in the Java client.
      if (this.initialized && this.client.producerId === undefined) {
        throw new SendError(`${NAME}: fenced by a newer instance of the transactional id`, true);
      }
      // The first begin sends InitProducerId. As a new instance it must claim no producer id and
      // epoch (-1/-1): the client's default (0/0) names an epoch the broker does not have for an
      // id used before, and the broker answers PRODUCER_FENCED instead of fencing the old one.
      this.tx = await this.client.beginTransaction(
        this.client.producerId === undefined ? { producerId: -1n, producerEpoch: -1 } : {},
      );
      this.touched = false;
      this.initialized = true;
    }
    return this.tx;
  }

  private live(): void {
    if (this.closed) throw new SendError(`${NAME}: transactional producer is closed`, true);
  }

  /** An answer from the broker (refused, fenced) is definite; a lost connection or timeout is not. */
  private failure(what: string, err: unknown): SendError {
    return new SendError(`${NAME}: ${what}: ${describeError(err)}`, !outcomeUnknown(err), { cause: err });
  }

  async send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    this.live();
    if (batch.length === 0) return [];
    let tx: Transaction;
    try {
      tx = await this.begin();
    } catch (err) {
      throw err instanceof SendError ? err : this.failure("beginning a transaction", err);
    }
    const messages = [];
    for (const m of batch) {
      const partition = m.key === null ? 0 : keyPartition(m.key, await this.partitionsOf(m.topic));
      messages.push({
        topic: m.topic,
        partition,
        key: m.key === null ? undefined : Buffer.from(m.key),
        value: Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength),
      });
    }
    this.touched = true;
    let offsets: readonly { topic: string; partition: number; offset: bigint }[];
    try {
      offsets = (await tx.send({ messages })).offsets ?? [];
    } catch (err) {
      throw this.failure("transactional produce", err);
    }
    // The client answers with each partition's base offset; records of one partition are in order.
    const base = new Map(offsets.map((o) => [`${o.topic}:${o.partition}`, Number(o.offset)]));
    const next = new Map<string, number>();
    return messages.map((m) => {
      const k = `${m.topic}:${m.partition}`;
      const index = next.get(k) ?? 0;
      next.set(k, index + 1);
      const b = base.get(k);
      return { partition: m.partition, offset: b === undefined || b < 0 ? null : b + index };
    });
  }

  async sendOffsets(consumer: Consumer, consumed: readonly Delivery[]): Promise<CommitValue> {
    this.live();
    if (!(consumer instanceof KafkaPullConsumer)) {
      throw new SendError(`${NAME}: offsets commit in a transaction only for this adapter's consumer`, true);
    }
    let last: ReturnType<KafkaPullConsumer["lastFetched"]>;
    try {
      last = consumer.lastFetched(consumed);
    } catch (err) {
      throw new SendError((err as Error).message, true, { cause: err });
    }
    const offsets = last.map((m) => ({
      topic: m.topic,
      partition: m.partition,
      offset: Number(m.offset) + 1,
    }));
    if (last.length === 0) return { kind: "offsets", offsets };
    try {
      const tx = await this.begin();
      this.touched = true;
      await tx.addConsumer(consumer.groupClient);
      for (const m of last) await tx.addOffset(m);
    } catch (err) {
      throw err instanceof SendError ? err : this.failure("offsets in the transaction", err);
    }
    return { kind: "offsets", offsets };
  }

  async commit(): Promise<void> {
    this.live();
    const tx = this.tx;
    if (tx === null) return;
    if (!this.touched) {
      // Nothing reached the broker: EndTxn would be refused (no transaction there). Client side only.
      await tx.cancel();
      this.tx = null;
      return;
    }
    try {
      await tx.commit();
      this.tx = null;
    } catch (err) {
      if (outcomeUnknown(err)) throw this.failure("commit", err);
      // Refused (fenced, timed out on the broker): aborted, by us or by the newer instance.
      await this.abort().catch(() => {});
      throw new SendError(`${NAME}: transaction aborted: ${describeError(err)}`, true, { cause: err });
    }
  }

  async abort(): Promise<void> {
    this.live();
    const tx = this.tx;
    if (tx === null) return;
    this.tx = null;
    if (!this.touched) {
      await tx.cancel();
      return;
    }
    try {
      await tx.abort();
    } catch (err) {
      // The client keeps a transaction whose EndTxn failed: drop it so the next one can begin.
      if (!tx.completed) await tx.cancel().catch(() => {});
      // Fenced: the newer instance aborted it already.
      if (!kafkaErrorIds(err).some((id) => FENCED.has(id))) throw this.failure("abort", err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.tx !== null && this.touched) await this.abort().catch(() => {});
    this.closed = true;
    await closeClient(this.client);
  }

  /** Dies: its open transaction is left for the next instance (or the broker's timeout) to abort. */
  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Not awaited: closing lets the request in flight finish, which a crash does not do.
    this.client.close(true, () => {});
  }

  private async partitionsOf(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known !== undefined) return known;
    let metadata: ClusterMetadata;
    try {
      metadata = await this.client.metadata({ topics: [topic] });
    } catch (err) {
      throw this.failure(`metadata of ${topic}`, err);
    }
    const n = metadata.topics.get(topic)?.partitionsCount;
    if (n === undefined || n < 1) throw new SendError(`${NAME}: topic ${topic} does not exist`, true);
    this.partitionCounts.set(topic, n);
    return n;
  }
}

function closeClient(client: RoutedProducer): Promise<void> {
  return new Promise((resolve) => client.close(true, () => resolve()));
}
