/**
 * The storage interface of one partition of the reference broker: an append-only log of record
 * batches. One implementation keeps it in memory (the embedded default), one in segment files on
 * disk; one conformance suite runs against both.
 *
 * The broker (adapters/reference/broker/) owns the semantics (groups, idempotence, transactions);
 * storage only keeps batches, hands them back, and makes them durable when asked.
 */

import type { RecordsIn } from "./record-section.js";

export interface RecordInput {
  readonly key: string | null;
  readonly payload: Uint8Array;
}

/** Written with every batch, so that recovery can rebuild producer and transaction state from the log. */
export interface BatchHeader {
  /** Idempotent producer id, or -1. */
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Sequence number of the first record for this producer and partition, or -1. */
  readonly baseSequence: number;
  /** Part of a transaction: invisible to read-committed readers until its commit marker. */
  readonly transactional: boolean;
  /** A transaction marker batch (no records): ends the producer's open transaction on this partition. */
  readonly control: "commit" | "abort" | null;
  /** Broker append time (wall clock, ms since the epoch). */
  readonly timestampMs: number;
}

export interface StoredRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly payload: Uint8Array;
}

export interface StoredBatch {
  readonly baseOffset: number;
  readonly header: BatchHeader;
  /** Empty for control batches, which still occupy one offset. */
  readonly records: readonly StoredRecord[];
  /** `records.length`, where storage knows it without making the records (memory and file logs do). */
  readonly recordCount?: number;
}

/** Reading below the log start offset (retention deleted it) or beyond the end. */
export class OffsetOutOfRangeError extends Error {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  constructor(requested: number, logStartOffset: number, logEndOffset: number) {
    super(`offset ${requested} is out of range [${logStartOffset}, ${logEndOffset}]`);
    this.name = "OffsetOutOfRangeError";
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }
}

export interface PartitionLog {
  /** First offset still retained. */
  readonly startOffset: number;
  /** Next offset to be written (one past the last record). */
  readonly endOffset: number;
  /** Offsets below this are durable (fsynced); equals endOffset when flush policy is irrelevant (memory). */
  readonly flushedOffset: number;
  /**
   * Appends one batch and returns its base offset. The batch is readable at once; whether it is
   * durable depends on `flush()`. A control batch has no records and takes one offset. Records
   * come as objects or as a section already encoded (record-section.ts, the TCP produce path).
   */
  append(header: BatchHeader, records: RecordsIn): number;
  /**
   * Batches holding offsets from `offset` on, at most about `maxRecords` records and `maxBytes`
   * payload bytes (always at least one batch when one exists, as Kafka does). The first batch may
   * start before `offset`: the caller skips those records. Reading at endOffset returns [].
   * Throws OffsetOutOfRangeError below startOffset or above endOffset.
   */
  read(offset: number, maxRecords: number, maxBytes: number): readonly StoredBatch[];
  /** Makes everything appended so far durable. Concurrent calls share one fsync (group commit). */
  flush(): Promise<void>;
  /** Deletes whole old segments beyond the retention limits; returns the new start offset. */
  enforceRetention(nowMs: number): number;
  /** Every batch from startOffset on, oldest first (recovery of producer and transaction state). */
  scan(): Iterable<StoredBatch>;
  close(): Promise<void>;
}

export interface RetentionPolicy {
  /** Delete segments whose newest batch is older than this; null keeps forever. */
  readonly maxAgeMs: number | null;
  /** Delete oldest segments while the partition is larger than this; null keeps everything. */
  readonly maxBytes: number | null;
}
