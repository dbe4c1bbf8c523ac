/**
 * Idempotent producer state of one partition: per producer id, its epoch, the last sequence
 * written and the last few batches (Kafka keeps 5), so that a retried batch already written is
 * recognised and answered with its original offset instead of being written twice.
 * Rebuilt on open from the batch headers in the log (`observe`), so it survives restarts.
 */
import { brokerError } from "./errors.js";

/** How many recent batches per producer are remembered for duplicate detection (Kafka: 5). */
export const RECENT_BATCHES = 5;

interface RecentBatch {
  readonly baseSequence: number;
  readonly lastSequence: number;
  readonly baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  lastSequence: number;
  readonly recent: RecentBatch[];
}

export type SequenceCheck = { readonly duplicateOf: number } | null;

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();

  /**
   * Validates a batch about to be appended. Returns `{duplicateOf}` when it is a retry of a batch
   * already written, null when it is the next batch; throws on a stale epoch or a sequence gap.
   */
  check(producerId: number, epoch: number, baseSequence: number, count: number): SequenceCheck {
    const entry = this.producers.get(producerId);
    if (entry === undefined || epoch > entry.epoch) {
      if (entry !== undefined && epoch > entry.epoch && baseSequence !== 0) {
        throw brokerError(
          "OUT_OF_ORDER_SEQUENCE_NUMBER",
          `producer ${producerId} epoch ${epoch} must start at sequence 0, got ${baseSequence}`,
        );
      }
      if (entry === undefined && baseSequence !== 0) {
        throw brokerError(
          "OUT_OF_ORDER_SEQUENCE_NUMBER",
          `producer ${producerId} has written nothing here; expected sequence 0, got ${baseSequence}`,
        );
      }
      return null;
    }
    if (epoch < entry.epoch) {
      throw brokerError(
        "INVALID_PRODUCER_EPOCH",
        `producer ${producerId} epoch ${epoch} is older than ${entry.epoch}: a newer instance took over`,
      );
    }
    const lastSequence = baseSequence + count - 1;
    for (const b of entry.recent) {
      if (b.baseSequence === baseSequence && b.lastSequence === lastSequence) {
        return { duplicateOf: b.baseOffset };
      }
    }
    if (baseSequence !== entry.lastSequence + 1) {
      throw brokerError(
        "OUT_OF_ORDER_SEQUENCE_NUMBER",
        `producer ${producerId}: expected sequence ${entry.lastSequence + 1}, got ${baseSequence}`,
      );
    }
    return null;
  }

  /** Records a batch written (or found on recovery). */
  observe(producerId: number, epoch: number, baseSequence: number, count: number, baseOffset: number): void {
    let entry = this.producers.get(producerId);
    if (entry === undefined || epoch > entry.epoch) {
      entry = { epoch, lastSequence: -1, recent: [] };
      this.producers.set(producerId, entry);
    }
    const lastSequence = baseSequence + count - 1;
    entry.lastSequence = lastSequence;
    entry.recent.push({ baseSequence, lastSequence, baseOffset });
    if (entry.recent.length > RECENT_BATCHES) entry.recent.shift();
  }

  /** A marker or a fence with a newer epoch: later batches of older epochs are rejected. */
  bumpEpoch(producerId: number, epoch: number): void {
    const entry = this.producers.get(producerId);
    if (entry === undefined) {
      this.producers.set(producerId, { epoch, lastSequence: -1, recent: [] });
    } else if (epoch > entry.epoch) {
      entry.epoch = epoch;
      entry.lastSequence = -1;
      entry.recent.length = 0;
    }
  }

  epochOf(producerId: number): number | undefined {
    return this.producers.get(producerId)?.epoch;
  }
}
