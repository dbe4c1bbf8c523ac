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

  async sendAndCommit(
    batch: readonly OutgoingMessage[],
    consumer: Consumer,
    consumed: readonly Delivery[],
  ): Promise<{ readonly acks: readonly SendAck[]; readonly commit: CommitValue }> {
    if (this.closed) throw new SendError("transactional producer is closed", true);
    if (!(consumer instanceof LogPullConsumer || consumer instanceof LogPushConsumer)) {
      throw new SendError(
        "reference broker: offsets commit in a transaction only for a log-model consumer",
        true,
      );
    }
    const member = consumer.member;
    const broker = this.session.broker;
    const ids = { producerId: this.producerId, producerEpoch: this.epoch };
    const offsets = offsetsAfter(consumed);
    const acks: SendAck[] = new Array(batch.length);
    try {
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
        const r = await broker.produce({
          topic,
          partition,
          records: batch.slice(i, j),
          acks: "leader",
          ...ids,
          baseSequence: -1,
          transactional: true,
        });
        for (let k = i; k < j; k++) acks[k] = { partition, offset: r.baseOffset + k - i };
        i = j;
      }
      if (offsets.length > 0) {
        await broker.commitTxnOffsets({
          ...ids,
          commit: {
            group: member.options.group,
            memberId: member.memberId,
            generation: member.generation,
            offsets,
          },
        });
      }
      await broker.endTransaction({ ...ids, commit: true });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Refused by the broker: abort, and nothing of it took effect. Lost on the way (connection,
      // timeout): whether the commit happened is unknown.
      if (!isBrokerError(err))
        throw new SendError(`reference broker: transaction: ${message}`, false, { cause: err });
      try {
        await broker.endTransaction({ ...ids, commit: false });
      } catch (abortErr) {
        // Fenced by a newer instance: it aborted our transaction already. Anything else: unknown.
        if (!isBrokerError(abortErr, "INVALID_PRODUCER_EPOCH"))
          throw new SendError(`reference broker: transaction: ${message}; abort failed`, false, {
            cause: err,
          });
      }
      throw new SendError(`reference broker: transaction aborted: ${message}`, true, { cause: err });
    }
    return { acks, commit: { kind: "offsets", offsets } };
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
