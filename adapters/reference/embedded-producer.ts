/**
 * Producer over an in-process Broker. A batch is split into runs of consecutive messages for the
 * same partition, each appended as one broker batch (keyed: murmur2 as Kafka; key-less: the whole
 * batch to the next partition in turn, like Kafka's sticky partitioner). Idempotent producers carry
 * a producer id, epoch and per-partition sequence numbers, so the broker drops retried batches.
 */
import type { OutgoingMessage, Producer, SendAck } from "../contract.js";
import { SendError } from "../contract.js";
import { type Acks, type Broker, isBrokerError, partitionForKey } from "./broker/index.js";
import type { RecordInput } from "./storage/partition-log.js";

export interface EmbeddedProducerOptions {
  readonly acks: Acks;
  readonly idempotent: boolean;
}

export class EmbeddedProducer implements Producer {
  private readonly broker: Broker;
  private readonly acks: Acks;
  private producerId = -1;
  private epoch = -1;
  private readonly sequences = new Map<string, number>();
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
        if (this.producerId >= 0) this.sequences.set(seqKey, baseSequence + records.length);
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

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
