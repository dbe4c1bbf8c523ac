/**
 * Producer over an in-process Broker. A batch is split into runs of consecutive messages for the
 * same partition, each appended as one broker batch (keyed: murmur2 as Kafka; key-less: the whole
 * batch to the next partition in turn, like Kafka's sticky partitioner). Idempotent producers carry
 * a producer id, epoch and per-partition sequence numbers, so the broker drops retried batches;
 * `retry` re-sends a batch with the partitions and sequences its first send used.
 */
import type { OutgoingMessage, Producer, SendAck } from "../contract.js";
import { SendError } from "../contract.js";
import { type Acks, type Broker, isBrokerError, partitionForKey } from "./broker/index.js";
import type { RecordInput } from "./storage/partition-log.js";

export interface EmbeddedProducerOptions {
  readonly acks: Acks;
  readonly idempotent: boolean;
}

/** One run of a sent batch: messages [start, end) appended to one partition from `baseSequence`. */
interface SentRun {
  readonly topic: string;
  readonly partition: number;
  readonly start: number;
  readonly end: number;
  readonly baseSequence: number;
}

export class EmbeddedProducer implements Producer {
  private readonly broker: Broker;
  private readonly acks: Acks;
  private producerId = -1;
  private epoch = -1;
  private readonly sequences = new Map<string, number>();
  /** Idempotent producers: how each batch was sent, for `retry` (kept while the caller holds the batch). */
  private readonly sent = new WeakMap<readonly OutgoingMessage[], readonly SentRun[]>();
  private closed = false;

  private constructor(broker: Broker, options: EmbeddedProducerOptions) {
    this.broker = broker;
    this.acks = options.acks;
  }

  static async create(broker: Broker, options: EmbeddedProducerOptions): Promise<EmbeddedProducer> {
    const p = new EmbeddedProducer(broker, options);
    if (options.idempotent) {
      const id = await broker.initProducerId({});
      p.producerId = id.producerId;
      p.epoch = id.producerEpoch;
    }
    return p;
  }

  send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    if (this.closed) return Promise.reject(new SendError("producer is closed", true));
    const acks: SendAck[] = new Array(batch.length);
    const flushes: Promise<unknown>[] = [];
    const runs: SentRun[] = [];
    if (this.producerId >= 0) this.sent.set(batch, runs);
    let i = 0;
    try {
      // Key-less messages of this batch go to one partition per topic.
      let stickyTopic = "";
      let sticky = -1;
      while (i < batch.length) {
        const first = batch[i]!;
        const topic = first.topic;
        const partitionOf = (m: OutgoingMessage): number => {
          if (m.key !== null) return partitionForKey(m.key, this.broker.partitionCount(m.topic));
          if (m.topic !== stickyTopic) {
            stickyTopic = m.topic;
            sticky = this.broker.partitionFor(m.topic, null);
          }
          return sticky;
        };
        const partition = partitionOf(first);
        const records: RecordInput[] = [{ key: first.key, payload: first.payload }];
        let j = i + 1;
        while (j < batch.length) {
          const m = batch[j]!;
          if (m.topic !== topic || partitionOf(m) !== partition) break;
          records.push({ key: m.key, payload: m.payload });
          j++;
        }
        const seqKey = `${topic}\u0000${partition}`;
        const baseSequence = this.producerId >= 0 ? (this.sequences.get(seqKey) ?? 0) : -1;
        const r = this.broker.append({
          topic,
          partition,
          records,
          producerId: this.producerId,
          producerEpoch: this.epoch,
          baseSequence,
        });
        if (this.producerId >= 0) {
          this.sequences.set(seqKey, baseSequence + records.length);
          runs.push({ topic, partition, start: i, end: j, baseSequence });
        }
        if (this.acks === "flushed") flushes.push(this.broker.flush(topic, partition));
        for (let k = 0; k < records.length; k++) {
          acks[i + k] = { partition, offset: this.acks === "none" ? null : r.baseOffset + k };
        }
        i = j;
      }
      if (flushes.length > 0) return Promise.all(flushes).then(() => acks);
      return Promise.resolve(acks);
    } catch (err) {
      // A refused append wrote nothing of its run; earlier runs of the batch may be written.
      const msg = err instanceof Error ? err.message : String(err);
      const definite = i === 0 && isBrokerError(err);
      return Promise.reject(
        new SendError(`reference broker refused the batch: ${msg}`, definite, { cause: err }),
      );
    }
  }

  /**
   * Re-sends a batch whose acknowledgement was lost: an idempotent producer repeats its first
   * send's partitions and sequences, and the broker answers runs it already has with their original
   * offsets. Without idempotence (or for a batch never sent) this is a new send.
   */
  retry(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    const runs = this.sent.get(batch);
    if (runs === undefined) return this.send(batch);
    if (this.closed) return Promise.reject(new SendError("producer is closed", true));
    const acks: SendAck[] = new Array(batch.length);
    const flushes: Promise<unknown>[] = [];
    try {
      for (const run of runs) {
        const records: RecordInput[] = [];
        for (let k = run.start; k < run.end; k++)
          records.push({ key: batch[k]!.key, payload: batch[k]!.payload });
        const r = this.broker.append({
          topic: run.topic,
          partition: run.partition,
          records,
          producerId: this.producerId,
          producerEpoch: this.epoch,
          baseSequence: run.baseSequence,
        });
        if (this.acks === "flushed") flushes.push(this.broker.flush(run.topic, run.partition));
        for (let k = run.start; k < run.end; k++) {
          acks[k] = {
            partition: run.partition,
            offset: this.acks === "none" ? null : r.baseOffset + k - run.start,
          };
        }
      }
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return Promise.reject(
        new SendError(`reference broker refused the retry: ${msg}`, false, { cause: err }),
      );
    }
    return flushes.length > 0 ? Promise.all(flushes).then(() => acks) : Promise.resolve(acks);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
