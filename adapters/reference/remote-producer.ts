/**
 * Producer over a connection to a reference broker server. Same partitioning as the embedded
 * producer (keyed: murmur2 as Kafka; key-less: the whole batch to the next partition in turn), one
 * Produce request per send with one broker batch per run of same-partition messages; idempotent
 * producers carry an id, epoch and per-partition sequence numbers; `retry` re-sends a batch's
 * request as it was (same partitions and sequences), so the broker drops what it already has.
 */
import type { OutgoingMessage, Producer, SendAck } from "../contract.js";
import { SendError } from "../contract.js";
import { type Acks, partitionForKey } from "./broker/index.js";
import {
  ConnectionClosedError,
  type ReferenceClient,
  RequestTimeoutError,
  ServerError,
} from "./client/client.js";
import { APIS } from "./protocol/apis.js";
import type { ProduceBatch, ProduceResponse } from "./protocol/requests/04-produce.js";
import type { TopicDirectory } from "./remote-topics.js";

export interface RemoteProducerOptions {
  readonly acks: Acks;
  readonly idempotent: boolean;
}

export class RemoteProducer implements Producer {
  private readonly client: ReferenceClient;
  private readonly topics: TopicDirectory;
  private readonly acks: Acks;
  private producerId = -1;
  private epoch = -1;
  private readonly sequences = new Map<string, number>();
  private readonly roundRobin = new Map<string, number>();
  /** Idempotent producers: each batch's request, for `retry` (kept while the caller holds the batch). */
  private readonly sent = new WeakMap<
    readonly OutgoingMessage[],
    { readonly batches: ProduceBatch[]; readonly starts: number[] }
  >();
  private closed = false;

  private constructor(client: ReferenceClient, topics: TopicDirectory, options: RemoteProducerOptions) {
    this.client = client;
    this.topics = topics;
    this.acks = options.acks;
  }

  static async create(
    client: ReferenceClient,
    topics: TopicDirectory,
    options: RemoteProducerOptions,
  ): Promise<RemoteProducer> {
    const p = new RemoteProducer(client, topics, options);
    if (options.idempotent) {
      const r = await client.request(APIS.initProducerId, {
        transactionalId: null,
        transactionTimeoutMs: -1,
      });
      if (r.errorCode !== 0) throw new ServerError(r.errorCode, r.errorMessage);
      p.producerId = r.producerId;
      p.epoch = r.producerEpoch;
    }
    return p;
  }

  async send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    if (this.closed) throw new SendError("producer is closed", true);
    const batches: ProduceBatch[] = [];
    const starts: number[] = [];
    try {
      const sticky = new Map<string, number>();
      let i = 0;
      while (i < batch.length) {
        const first = batch[i]!;
        const topic = first.topic;
        const count = await this.topics.partitions(topic);
        const partitionOf = (m: OutgoingMessage): number => {
          if (m.key !== null) return partitionForKey(m.key, count);
          let p = sticky.get(m.topic);
          if (p === undefined) {
            p = (this.roundRobin.get(m.topic) ?? 0) % count;
            this.roundRobin.set(m.topic, p + 1);
            sticky.set(m.topic, p);
          }
          return p;
        };
        const partition = partitionOf(first);
        const records = [{ key: first.key, payload: first.payload }];
        let j = i + 1;
        while (j < batch.length) {
          const m = batch[j]!;
          if (m.topic !== topic || partitionOf(m) !== partition) break;
          records.push({ key: m.key, payload: m.payload });
          j++;
        }
        const seqKey = `${topic}\u0000${partition}`;
        const baseSequence = this.producerId >= 0 ? (this.sequences.get(seqKey) ?? 0) : -1;
        if (this.producerId >= 0) this.sequences.set(seqKey, baseSequence + records.length);
        batches.push({ topic, partition, baseSequence, records });
        starts.push(i);
        i = j;
      }
    } catch (err) {
      throw new SendError(`reference broker at ${this.client.address}: ${(err as Error).message}`, true, {
        cause: err,
      });
    }
    if (this.producerId >= 0) this.sent.set(batch, { batches, starts });
    return this.produce(batch, batches, starts);
  }

  /**
   * Re-sends a batch whose acknowledgement was lost: the same request (partitions, sequences), so an
   * idempotent producer's retry is answered with the original offsets. Otherwise a new send.
   */
  async retry(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    const sent = this.sent.get(batch);
    if (sent === undefined) return this.send(batch);
    if (this.closed) throw new SendError("producer is closed", true);
    return this.produce(batch, sent.batches, sent.starts);
  }

  private async produce(
    batch: readonly OutgoingMessage[],
    batches: ProduceBatch[],
    starts: number[],
  ): Promise<readonly SendAck[]> {
    let r: ProduceResponse;
    try {
      r = await this.client.request(APIS.produce, {
        acks: this.acks,
        producerId: this.producerId,
        producerEpoch: this.epoch,
        transactional: false,
        batches,
      });
    } catch (err) {
      // Lost connection or timeout: the broker may or may not have appended.
      const definite = !(err instanceof ConnectionClosedError || err instanceof RequestTimeoutError);
      throw new SendError(`reference broker at ${this.client.address}: ${(err as Error).message}`, definite, {
        cause: err,
      });
    }
    if (r.errorCode !== 0) throw new SendError(new ServerError(r.errorCode, r.errorMessage).message, true);
    const failed = r.results.findIndex((x) => x.errorCode !== 0);
    if (failed >= 0) {
      const e = r.results[failed]!;
      // Runs before the failed one were appended: only a failure of the first run is definite.
      const definite = r.results.every((x) => x.errorCode !== 0);
      throw new SendError(
        `reference broker refused the batch: ${new ServerError(e.errorCode, e.errorMessage).message}`,
        definite,
      );
    }
    const acks: SendAck[] = new Array(batch.length);
    for (let b = 0; b < batches.length; b++) {
      const start = starts[b]!;
      const { partition, records } = batches[b]!;
      const base = r.results[b]!.baseOffset;
      for (let k = 0; k < records.length; k++) {
        acks[start + k] = { partition, offset: this.acks === "none" ? null : base + k };
      }
    }
    return acks;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.close();
  }
}
