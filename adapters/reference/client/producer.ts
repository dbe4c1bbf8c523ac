/**
 * The reference producer, over any broker session (in process or TCP). A batch is split into runs
 * of consecutive messages for the same partition, each produced as one broker batch. Keyed
 * messages go where Kafka would put them (murmur2); key-less ones of a send go together to the
 * next partition in turn of their topic, counted across the adapter's producers (`KeylessRotation`),
 * as the in-process broker's own counter did. Clients partition (PROTOCOL.md: no partition -1).
 *
 * Idempotent producers carry a producer id, epoch and per-partition sequence numbers, so the broker
 * drops retried batches; `retry` re-sends a batch with the partitions and sequences its first send
 * used. A refused run (BrokerError) is a definite failure only when no run of the send was written.
 */
import { type OutgoingMessage, type Producer, type SendAck, SendError } from "../../contract.js";
import type { Acks } from "../broker/acks.js";
import type { ProduceResult } from "../broker/broker.js";
import { isBrokerError } from "../broker/errors.js";
import { partitionForKey } from "../broker/partitioner.js";
import type { BrokerSession } from "./session.js";

export interface ProducerSettings {
  readonly acks: Acks;
  readonly idempotent: boolean;
}

/** Key-less partitioning shared by one adapter's producers: per topic, the next partition in turn. */
export class KeylessRotation {
  private readonly next = new Map<string, number>();

  take(topic: string, partitions: number): number {
    const n = this.next.get(topic) ?? 0;
    this.next.set(topic, (n + 1) % partitions);
    return n % partitions;
  }
}

/** Why a run was not written (the broker's refusal, or a lost connection). */
class Refusal {
  constructor(readonly error: unknown) {}
}

/** One run of a sent batch: messages [start, end) to one partition, from `baseSequence`. */
interface SentRun {
  readonly topic: string;
  readonly partition: number;
  readonly start: number;
  readonly end: number;
  readonly baseSequence: number;
}

export class ReferenceProducer implements Producer {
  private readonly session: BrokerSession;
  private readonly acks: Acks;
  private readonly rotation: KeylessRotation;
  private producerId = -1;
  private epoch = -1;
  private readonly sequences = new Map<string, number>();
  /** Partition counts by topic, from the broker's topic list (refreshed on a miss). */
  private readonly partitionCounts = new Map<string, number>();
  /** Idempotent producers: how each batch was sent, for `retry` (kept while the caller holds the batch). */
  private readonly sent = new WeakMap<readonly OutgoingMessage[], readonly SentRun[]>();
  private closed = false;

  private constructor(session: BrokerSession, settings: ProducerSettings, rotation: KeylessRotation) {
    this.session = session;
    this.acks = settings.acks;
    this.rotation = rotation;
  }

  static async create(
    session: BrokerSession,
    settings: ProducerSettings,
    rotation: KeylessRotation,
  ): Promise<ReferenceProducer> {
    const p = new ReferenceProducer(session, settings, rotation);
    if (settings.idempotent) {
      const id = await session.broker.initProducerId({});
      p.producerId = id.producerId;
      p.epoch = id.producerEpoch;
    }
    return p;
  }

  /** Nothing is sent yet when this fails: a definite failure. */
  private async refreshPartitions(topic: string): Promise<number> {
    try {
      for (const t of await this.session.broker.listTopics()) this.partitionCounts.set(t.name, t.partitions);
    } catch (err) {
      throw new SendError(`reference broker: ${(err as Error).message}`, true, { cause: err });
    }
    const n = this.partitionCounts.get(topic);
    if (n === undefined) throw new SendError(`reference broker: topic "${topic}" does not exist`, true);
    return n;
  }

  send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    if (this.closed) return Promise.reject(new SendError("producer is closed", true));
    // Topics whose partition count is not known yet are looked up first (the broker's topic list).
    for (const m of batch) {
      if (!this.partitionCounts.has(m.topic)) {
        return this.refreshPartitions(m.topic).then(() => this.send(batch));
      }
    }
    const runs = this.plan(batch);
    if (this.producerId >= 0) this.sent.set(batch, runs);
    return this.produce(batch, runs, false);
  }

  /** Splits a batch into runs of messages for one partition (every topic's partition count known). */
  private plan(batch: readonly OutgoingMessage[]): SentRun[] {
    const runs: SentRun[] = [];
    // Key-less messages of this send go to one partition per topic.
    let stickyTopic = "";
    let sticky = -1;
    let i = 0;
    while (i < batch.length) {
      const topic = batch[i]!.topic;
      const count = this.partitionCounts.get(topic)!;
      const partitionOf = (m: OutgoingMessage): number => {
        if (m.key !== null) return partitionForKey(m.key, count);
        if (m.topic !== stickyTopic) {
          stickyTopic = m.topic;
          sticky = this.rotation.take(m.topic, count);
        }
        return sticky;
      };
      const partition = partitionOf(batch[i]!);
      let j = i + 1;
      while (j < batch.length && batch[j]!.topic === topic && partitionOf(batch[j]!) === partition) j++;
      let baseSequence = -1;
      if (this.producerId >= 0) {
        const seqKey = `${topic}\u0000${partition}`;
        baseSequence = this.sequences.get(seqKey) ?? 0;
        this.sequences.set(seqKey, baseSequence + (j - i));
      }
      runs.push({ topic, partition, start: i, end: j, baseSequence });
      i = j;
    }
    return runs;
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
    return this.produce(batch, runs, true);
  }

  /**
   * Every run is produced at once (in order: the broker appends them as they come). In process the
   * broker answers at once, and so does this (no promise to wait for per run).
   */
  private produce(
    batch: readonly OutgoingMessage[],
    runs: readonly SentRun[],
    retrying: boolean,
  ): Promise<readonly SendAck[]> {
    const broker = this.session.broker;
    const results: (ProduceResult | Promise<ProduceResult> | Refusal)[] = runs.map((run) => {
      try {
        return broker.produce({
          topic: run.topic,
          partition: run.partition,
          // Messages are records as they are ({key, payload}); the broker copies what it keeps.
          records: run.start === 0 && run.end === batch.length ? batch : batch.slice(run.start, run.end),
          acks: this.acks,
          producerId: this.producerId,
          producerEpoch: this.epoch,
          baseSequence: run.baseSequence,
        });
      } catch (err) {
        return new Refusal(err);
      }
    });
    if (results.some((r) => r instanceof Promise)) {
      return Promise.all(
        results.map((r) => (r instanceof Promise ? r.catch((err) => new Refusal(err)) : r)),
      ).then((settled) => this.acknowledge(batch, runs, settled, retrying));
    }
    try {
      return Promise.resolve(this.acknowledge(batch, runs, results as (ProduceResult | Refusal)[], retrying));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The acks of a send whose runs were all answered; throws SendError when one was refused. */
  private acknowledge(
    batch: readonly OutgoingMessage[],
    runs: readonly SentRun[],
    results: readonly (ProduceResult | Refusal)[],
    retrying: boolean,
  ): readonly SendAck[] {
    const acks: SendAck[] = new Array(batch.length);
    let written = 0;
    let failure: unknown = null;
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r]!;
      const result = results[r]!;
      if (result instanceof Refusal) {
        failure ??= result.error;
        continue;
      }
      written++;
      for (let k = run.start; k < run.end; k++) {
        acks[k] = {
          partition: run.partition,
          offset: this.acks === "none" ? null : result.baseOffset + k - run.start,
        };
      }
    }
    if (failure === null) return acks;
    const message = failure instanceof Error ? failure.message : String(failure);
    // Refused by the broker and nothing of the send written: definite. A lost connection or a
    // timeout: the broker may or may not have appended; a retry: the first send may have.
    const definite = !retrying && isBrokerError(failure) && written === 0;
    throw new SendError(
      `reference broker refused the ${retrying ? "retry" : "batch"}: ${message}`,
      definite,
      {
        cause: failure,
      },
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.close();
  }
}
