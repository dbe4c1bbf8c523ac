/**
 * The reference client's transactional producer: read-process-write in one transaction, over the
 * broker's own transactions (InitProducerId with a transactional id, transactional Produce,
 * TxnOffsetCommit, EndTxn). Creating one fences every older instance of its transactional id: the
 * broker bumps the epoch and aborts the transaction the old one left open, so a crashed
 * processor's half-written outputs never become visible to read-committed readers.
 *
 * Offsets are committed as the consumer's group member (its id and generation), so a member that
 * lost its partitions in a rebalance cannot commit them: the broker refuses, the transaction is
 * aborted, and the caller gets a definite SendError.
 */
import {
  type CommitValue,
  type Consumer,
  type Delivery,
  type OutgoingMessage,
  type SendAck,
  SendError,
  type TransactionalProducer,
} from "../../contract.js";
import { isBrokerError } from "../broker/errors.js";
import { visitRecords } from "../broker/partition.js";
import { partitionForKey } from "../broker/partitioner.js";
import { LogPullConsumer, LogPushConsumer } from "./log-consumer.js";
import { offsetsAfter } from "./log-member.js";
import type { BrokerSession } from "./session.js";

/** A transaction left open longer than this (its producer died unfenced) is aborted by the broker. */
const TRANSACTION_TIMEOUT_MS = 10_000;

export class ReferenceTransactionalProducer implements TransactionalProducer {
  private readonly session: BrokerSession;
  /** The broker's producer id and epoch of this instance. */
  readonly producerId: number;
  readonly epoch: number;
  private readonly partitionCounts = new Map<string, number>();
  private closed = false;

  private constructor(session: BrokerSession, producerId: number, epoch: number) {
    this.session = session;
    this.producerId = producerId;
    this.epoch = epoch;
  }

  static async create(
    session: BrokerSession,
    transactionalId: string,
  ): Promise<ReferenceTransactionalProducer> {
    const id = await session.broker.initProducerId({
      transactionalId,
      transactionTimeoutMs: TRANSACTION_TIMEOUT_MS,
    });
    return new ReferenceTransactionalProducer(session, id.producerId, id.producerEpoch);
  }

  private async partitionsOf(topic: string): Promise<number> {
    let n = this.partitionCounts.get(topic);
    if (n === undefined) {
      for (const t of await this.session.broker.listTopics()) this.partitionCounts.set(t.name, t.partitions);
      n = this.partitionCounts.get(topic);
      if (n === undefined) throw new SendError(`reference broker: topic "${topic}" does not exist`, true);
    }
    return n;
  }

  private live(): void {
    if (this.closed) throw new SendError("transactional producer is closed", true);
  }

  /** A refusal is definite (nothing of this call was written); a lost connection is not. */
  private failure(what: string, err: unknown): SendError {
    const message = err instanceof Error ? err.message : String(err);
    return new SendError(`reference broker: ${what}: ${message}`, isBrokerError(err), { cause: err });
  }

  async send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    this.live();
    const acks: SendAck[] = new Array(batch.length);
    // Runs of consecutive messages for one partition, each one transactional batch.
    let i = 0;
    while (i < batch.length) {
      const topic = batch[i]!.topic;
      const count = await this.partitionsOf(topic);
      const partition = partitionForKey(batch[i]!.key ?? "", count);
      let j = i + 1;
      while (
        j < batch.length &&
        batch[j]!.topic === topic &&
        partitionForKey(batch[j]!.key ?? "", count) === partition
      )
        j++;
      this.live();
      let r: { baseOffset: number };
      try {
        r = await this.session.broker.produce({
          topic,
          partition,
          records: batch.slice(i, j),
          acks: "leader",
          producerId: this.producerId,
          producerEpoch: this.epoch,
          baseSequence: -1,
          transactional: true,
        });
      } catch (err) {
        // Earlier runs of this batch may be in the transaction: only the first refusal is definite.
        const e = this.failure("transactional produce", err);
        throw i === 0 ? e : new SendError(e.message, false, { cause: err });
      }
      for (let k = i; k < j; k++) acks[k] = { partition, offset: r.baseOffset + k - i };
      i = j;
    }
    return acks;
  }

  async sendOffsets(consumer: Consumer, consumed: readonly Delivery[]): Promise<CommitValue> {
    this.live();
    if (!(consumer instanceof LogPullConsumer || consumer instanceof LogPushConsumer)) {
      throw new SendError(
        "reference broker: offsets commit in a transaction only for a log-model consumer",
        true,
      );
    }
    const member = consumer.member;
    const offsets = offsetsAfter(consumed);
    try {
      await member.commitAs(offsets, (generation) =>
        this.session.broker.commitTxnOffsets({
          producerId: this.producerId,
          producerEpoch: this.epoch,
          commit: { group: member.options.group, memberId: member.memberId, generation, offsets },
        }),
      );
    } catch (err) {
      throw this.failure("offsets in the transaction", err);
    }
    return { kind: "offsets", offsets };
  }

  async commit(): Promise<void> {
    this.live();
    try {
      await this.session.broker.endTransaction({
        producerId: this.producerId,
        producerEpoch: this.epoch,
        commit: true,
      });
    } catch (err) {
      if (!isBrokerError(err)) throw this.failure("commit", err);
      // Refused (fenced, timed out): what it wrote is aborted, by us or by the newer instance.
      await this.abort().catch(() => {});
      throw new SendError(`reference broker: transaction aborted: ${(err as Error).message}`, true, {
        cause: err,
      });
    }
  }

  async abort(): Promise<void> {
    this.live();
    try {
      await this.session.broker.endTransaction({
        producerId: this.producerId,
        producerEpoch: this.epoch,
        commit: false,
      });
    } catch (err) {
      // Fenced: the newer instance aborted it already.
      if (!isBrokerError(err, "INVALID_PRODUCER_EPOCH")) throw this.failure("abort", err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.close();
  }

  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.kill();
  }
}

/**
 * One partition from its start to its end as of the call, read-committed: an open transaction on
 * it is waited for (its producer commits, aborts, is fenced or times out) up to `timeoutMs`.
 */
export async function readPartitionToEnd(
  session: BrokerSession,
  topic: string,
  partition: number,
  timeoutMs: number,
): Promise<Delivery[]> {
  const broker = session.broker;
  const end = await broker.listOffset(topic, partition, "latest");
  let offset = await broker.listOffset(topic, partition, "earliest");
  const out: Delivery[] = [];
  const deadline = performance.now() + timeoutMs;
  while (offset < end) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      throw new Error(
        `reference broker: ${topic}/${partition} not readable to offset ${end} within ${timeoutMs} ms (stuck at ${offset}: an open transaction)`,
      );
    }
    const r = await broker.fetch({
      partitions: [{ topic, partition, offset }],
      maxRecords: 10_000,
      waitMs: Math.min(remaining, 100),
      isolation: "read_committed",
    });
    const p = r.partitions[0];
    if (p === undefined) continue;
    if (p.error !== null)
      throw new Error(`reference broker: reading ${topic}/${partition}: ${p.error.message}`);
    visitRecords(p, (o, key, payload) => {
      if (o < end) out.push({ topic, partition, offset: o, key, payload, redelivered: false });
    });
    offset = p.nextOffset;
  }
  return out;
}
