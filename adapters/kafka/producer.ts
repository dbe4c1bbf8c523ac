/**
 * The kafka producer: the runner's sends gathered into Produce requests (Kafka's record
 * accumulator: `lingerMs`, `batchBytes`, `maxInFlight`), partitioned as the Java client does
 * (murmur2 of the key; without a key a whole send sticks to one partition, round-robin), sent with
 * the client's Produce API directly so that this file owns the idempotent producer's sequence
 * numbers:
 *
 * - @platformatic/kafka 1.35 reads a partition's next sequence when it builds a batch but advances
 *   it only when the answer arrives, so two idempotent sends in flight get the same sequence and
 *   the broker acknowledges the second as a duplicate of the first without writing it (measured:
 *   3 of 200 acknowledged batches missing from the log). Here a sequence is taken when the request
 *   is built, and an idempotent producer has one request in flight.
 * - `retry(batch)` (producer-ack-loss) sends the very request that carried the batch again with
 *   the same producer id, epoch and sequence numbers, so the broker answers from its idempotence
 *   cache (the last 5 batches per partition) with the original offsets and writes nothing.
 * - After a request whose outcome is unknown the producer takes a new producer id (as the Java
 *   client bumps its epoch): reusing the sequences of a batch that may have been written would make
 *   the broker drop the next batch as its duplicate.
 */
import {
  type ClusterMetadata,
  type Connection,
  kGetConnection,
  kMetadata,
  type MessageRecord,
  murmur2,
  produceV9,
} from "@platformatic/kafka";
import { type OutgoingMessage, type Producer, type SendAck, SendError } from "../contract.js";
import { describeError, outcomeUnknown, type RoutedProducer } from "./clients.js";
import type { KafkaSettings } from "./settings.js";

interface ProduceResponse {
  responses: {
    name: string;
    partitionResponses: { index: number; errorCode: number; baseOffset: bigint }[];
  }[];
}
type ProduceApi = {
  async(
    connection: Connection,
    acks: number,
    timeout: number,
    records: MessageRecord[],
    options: Record<string, unknown>,
  ): Promise<boolean | ProduceResponse>;
};

/** One Produce request as built: enough to send it again byte for byte (same sequences). */
interface SentRequest {
  readonly records: MessageRecord[];
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** First sequence per `topic:partition` (idempotent only). */
  readonly sequences: ReadonlyMap<string, number> | null;
}

interface Pending {
  readonly batch: readonly OutgoingMessage[];
  readonly bytes: number;
  readonly resolve: (acks: readonly SendAck[]) => void;
  readonly reject: (err: unknown) => void;
}

/** Where each message of a send went: its partition and its index among that partition's records. */
interface Placement {
  readonly request: SentRequest;
  /** Per message: `topic:partition` and its position in that partition's record batch. */
  readonly slots: readonly { readonly tp: string; readonly partition: number; readonly index: number }[];
}

const tpKey = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * Produce error codes after which the batch was certainly not appended and may go again once the
 * metadata is fresh: UNKNOWN_TOPIC_OR_PARTITION (3), LEADER_NOT_AVAILABLE (5),
 * NOT_LEADER_OR_FOLLOWER (6), NOT_ENOUGH_REPLICAS (19), FENCED_LEADER_EPOCH (74).
 */
const RETRIABLE = new Set([3, 5, 6, 19, 74]);
const PRODUCE_ATTEMPTS = 8;

/** Java's default partitioner for keyed records: toPositive(murmur2(key)) % partitions. */
export function keyPartition(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key)) & 0x7fffffff) % partitions;
}

function promisify<T>(run: (cb: (err: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
}

export class KafkaProducer implements Producer {
  private readonly pending: Pending[] = [];
  private pendingBytes = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private readonly maxInFlight: number;
  private producerId = -1n;
  private producerEpoch = -1;
  private readonly sequences = new Map<string, number>();
  private readonly placements = new WeakMap<readonly OutgoingMessage[], Placement>();
  private readonly partitionCounts = new Map<string, number>();
  private roundRobin = 0;
  private closed = false;

  constructor(
    private readonly client: RoutedProducer,
    private readonly s: KafkaSettings,
    private readonly idempotent: boolean,
  ) {
    // The idempotent producer's sequences are only safe one request at a time (see above).
    this.maxInFlight = idempotent ? 1 : s.maxInFlight;
  }

  send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    if (this.closed) return Promise.reject(new SendError("kafka: producer closed", true));
    if (batch.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      let bytes = 0;
      for (const m of batch) bytes += m.payload.byteLength + (m.key?.length ?? 0) + 20;
      this.pending.push({ batch, bytes, resolve, reject });
      this.pendingBytes += bytes;
      this.schedule();
    });
  }

  async retry(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    const placement = this.placements.get(batch);
    if (!this.idempotent || placement === undefined) return this.send(batch);
    try {
      const bases = await this.produce(placement.request);
      return this.acksOf(placement, bases);
    } catch (err) {
      throw new SendError(`kafka: retry failed: ${describeError(err)}`, !outcomeUnknown(err), { cause: err });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    for (const p of this.pending.splice(0)) p.reject(new SendError("kafka: producer closed", true));
    await this.client.close().catch(() => {});
  }

  /** Sends at once when `batchBytes` are waiting, otherwise after `lingerMs` (0: this turn of the event loop). */
  private schedule(): void {
    if (this.inFlight >= this.maxInFlight) return; // the answer in flight triggers the next request
    if (this.pendingBytes >= this.s.batchBytes) {
      this.flush();
      return;
    }
    if (this.s.lingerMs === 0) {
      this.immediate ??= setImmediate(() => {
        this.immediate = null;
        this.flush();
      });
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.s.lingerMs);
    }
  }

  private flush(): void {
    while (this.pending.length > 0 && this.inFlight < this.maxInFlight) {
      const take: Pending[] = [];
      let bytes = 0;
      while (
        this.pending.length > 0 &&
        (take.length === 0 || bytes + this.pending[0]!.bytes <= this.s.batchBytes)
      ) {
        const p = this.pending.shift()!;
        bytes += p.bytes;
        take.push(p);
      }
      this.pendingBytes -= bytes;
      this.inFlight++;
      void this.dispatch(take).finally(() => {
        this.inFlight--;
        if (this.pending.length > 0) this.flush();
      });
    }
  }

  private async dispatch(sends: readonly Pending[]): Promise<void> {
    let placements: Placement[];
    try {
      placements = await this.build(sends.map((s) => s.batch));
    } catch (err) {
      for (const s of sends) s.reject(new SendError(`kafka: ${describeError(err)}`, true, { cause: err }));
      return;
    }
    const request = placements[0]!.request;
    try {
      const bases = await this.produce(request);
      sends.forEach((s, i) => {
        this.placements.set(s.batch, placements[i]!);
        s.resolve(this.acksOf(placements[i]!, bases));
      });
    } catch (err) {
      const unknown = outcomeUnknown(err);
      if (this.idempotent) {
        // A new producer id before the next request (build() asks for it).
        this.producerId = -1n;
        this.sequences.clear();
      }
      for (const [i, s] of sends.entries()) {
        // Kept for retry(): the same sequences deduplicate a batch that was written after all.
        this.placements.set(s.batch, placements[i]!);
        s.reject(new SendError(`kafka: ${describeError(err)}`, !unknown, { cause: err }));
      }
    }
  }

  /** Records for the sends, partitioned, with this producer's id and next sequences (taken now). */
  private async build(batches: readonly (readonly OutgoingMessage[])[]): Promise<Placement[]> {
    if (this.idempotent && this.producerId < 0n) await this.resetProducerId();
    const byPartition = new Map<string, MessageRecord[]>();
    const slotsPerBatch: Placement["slots"][] = [];
    const timestamp = BigInt(Date.now());
    for (const batch of batches) {
      const slots: { tp: string; partition: number; index: number }[] = [];
      let sticky = -1;
      for (const m of batch) {
        const n = await this.partitionsOf(m.topic);
        let partition: number;
        if (m.key !== null) partition = keyPartition(m.key, n);
        else {
          if (sticky < 0) sticky = this.roundRobin++ % n;
          partition = sticky;
        }
        const tp = tpKey(m.topic, partition);
        let list = byPartition.get(tp);
        if (!list) {
          list = [];
          byPartition.set(tp, list);
        }
        slots.push({ tp, partition, index: list.length });
        list.push({
          key: m.key === null ? undefined : Buffer.from(m.key),
          value: Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength),
          topic: m.topic,
          partition,
          timestamp,
        });
      }
      slotsPerBatch.push(slots);
    }
    let sequences: Map<string, number> | null = null;
    if (this.idempotent) {
      sequences = new Map();
      for (const [tp, list] of byPartition) {
        const first = this.sequences.get(tp) ?? 0;
        sequences.set(tp, first);
        this.sequences.set(tp, (first + list.length) | 0);
      }
    }
    const request: SentRequest = {
      records: [...byPartition.values()].flat(),
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      sequences,
    };
    return slotsPerBatch.map((slots) => ({ request, slots }));
  }

  /**
   * Sends one request; resolves with the base offset per `topic:partition` (null with acks=0).
   * Partitions the broker refused because its metadata moved (not the leader, no leader yet, not
   * enough replicas: nothing appended) are sent again, alone, after fresh metadata, as the Java
   * client retries a batch; the others' answers are kept (a whole resend would duplicate them).
   */
  private async produce(request: SentRequest): Promise<ReadonlyMap<string, bigint> | null> {
    // Produce v9, not the newest the client has (v11): from v10 the broker answers NOT_LEADER with
    // the new leader in tagged fields (KIP-951), which the client's v10/v11 parser misreads
    // ("Out of bounds", measured on a fresh 4-partition topic). Kafka 4 accepts Produce v3–v13.
    const api = produceV9.api as unknown as ProduceApi;
    const seq = request.sequences;
    const options = {
      compression: this.s.compression,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      sequences: seq ? { getWithDefault: (k: string, d: number) => seq.get(k) ?? d } : undefined,
    };
    const bases = new Map<string, bigint>();
    let pending = request.records;
    for (let attempt = 0; ; attempt++) {
      const refused = new Map<string, unknown>();
      await this.produceOnce(api, pending, options, attempt > 0, bases, refused);
      if (refused.size === 0) break;
      if (attempt >= PRODUCE_ATTEMPTS - 1) throw [...refused.values()][0];
      pending = pending.filter((r) => refused.has(tpKey(r.topic, r.partition ?? 0)));
      await new Promise((resolve) => setTimeout(resolve, 25 * (attempt + 1)));
    }
    return this.s.acks === 0 ? null : bases;
  }

  private async produceOnce(
    api: ProduceApi,
    records: readonly MessageRecord[],
    options: Record<string, unknown>,
    refresh: boolean,
    bases: Map<string, bigint>,
    refused: Map<string, unknown>,
  ): Promise<void> {
    const topics = [...new Set(records.map((r) => r.topic))];
    const metadata = await promisify<ClusterMetadata>((cb) =>
      this.client[kMetadata]({ topics, forceUpdate: refresh }, cb),
    );
    const byLeader = new Map<number, MessageRecord[]>();
    for (const r of records) {
      const leader = metadata.topics.get(r.topic)?.partitions[r.partition ?? 0]?.leader ?? -1;
      const list = byLeader.get(leader) ?? [];
      byLeader.set(leader, list);
      list.push(r);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        const broker = metadata.brokers.get(leader);
        if (leader < 0 || !broker) {
          for (const r of list)
            refused.set(
              tpKey(r.topic, r.partition ?? 0),
              new SendError(`kafka: no leader for ${r.topic}-${r.partition}`, true),
            );
          return;
        }
        const connection = await promisify<Connection>((cb) => this.client[kGetConnection](broker, cb));
        let response: boolean | ProduceResponse;
        try {
          // The API mutates records (timestamps, partitions): a copy keeps the request resendable.
          response = await api.async(
            connection,
            this.s.acks,
            this.s.requestTimeoutMs,
            list.map((r) => ({ ...r })),
            options,
          );
        } catch (err) {
          // An error code in the answer: the client throws, with the whole answer attached.
          const answer = (err as { response?: ProduceResponse }).response;
          if (answer === undefined) throw err;
          for (const t of answer.responses) {
            for (const p of t.partitionResponses) {
              if (p.errorCode === 0) bases.set(tpKey(t.name, p.index), p.baseOffset);
              else if (RETRIABLE.has(p.errorCode)) refused.set(tpKey(t.name, p.index), err);
              else throw err;
            }
          }
          return;
        }
        if (typeof response === "boolean") return; // acks=0: no answer
        for (const t of response.responses) {
          for (const p of t.partitionResponses) bases.set(tpKey(t.name, p.index), p.baseOffset);
        }
      }),
    );
  }

  private acksOf(placement: Placement, bases: ReadonlyMap<string, bigint> | null): SendAck[] {
    return placement.slots.map((slot) => {
      const base = bases?.get(slot.tp);
      return {
        partition: slot.partition,
        offset: base === undefined || base < 0n ? null : Number(base) + slot.index,
      };
    });
  }

  private async partitionsOf(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known !== undefined) return known;
    const metadata = await promisify<ClusterMetadata>((cb) =>
      this.client[kMetadata]({ topics: [topic] }, cb),
    );
    const n = metadata.topics.get(topic)?.partitionsCount;
    if (n === undefined || n < 1) throw new SendError(`kafka: topic ${topic} does not exist`, true);
    this.partitionCounts.set(topic, n);
    return n;
  }

  /** A new producer id (InitProducerId): sequences start again at 0. */
  private async resetProducerId(): Promise<void> {
    this.producerId = -1n;
    this.sequences.clear();
    const info = await this.client.initIdempotentProducer({});
    this.producerId = info.producerId;
    this.producerEpoch = info.producerEpoch;
  }
}
