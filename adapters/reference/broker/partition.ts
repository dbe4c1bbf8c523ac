/**
 * One partition of a topic as the broker sees it: its log plus what the broker derives from it —
 * idempotent producer state, open and aborted transactions (for the last stable offset and
 * read-committed filtering) — and who is waiting for new data (long-poll fetches, push
 * subscriptions). Changed only by the Broker.
 */

import type { BatchHeader, PartitionLog, StoredBatch } from "../storage/partition-log.js";
import { BROKER_ERRORS, type BrokerErrorInfo } from "./errors.js";
import { ProducerStateTable } from "./producer-state.js";

export type Isolation = "read_uncommitted" | "read_committed";

/** Records `fromOffset <= offset < nextOffset` of `batches` are the answer (the first batch may start earlier). */
export interface PartitionRecords {
  readonly topic: string;
  readonly partition: number;
  readonly batches: readonly StoredBatch[];
  readonly fromOffset: number;
  /** Where the next read continues (past filtered control and aborted batches). */
  readonly nextOffset: number;
  /**
   * Records below this offset were delivered to the reading group before (a fetch or subscription
   * naming its group): the redelivered flag. Absent: not tracked.
   */
  readonly redeliveredBelow?: number;
}

export interface PartitionFetch extends PartitionRecords {
  /** Number of records in the answer. */
  readonly count: number;
  readonly error: BrokerErrorInfo | null;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
}

interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/** Someone to tell when the partition grows (a waiting fetch, a push subscription). */
export interface AppendListener {
  onAppend(p: PartitionState): void;
}

const EMPTY: readonly StoredBatch[] = [];

export class PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  readonly producers = new ProducerStateTable();
  /** Open transactions: producer id → offset of its first batch here. */
  readonly openTxns = new Map<number, number>();
  private readonly aborted: AbortedTxn[] = [];
  private lso = -1;
  /** Listeners to wake on the next append; long-poll waiters remove themselves when done. */
  readonly listeners = new Set<AppendListener>();

  constructor(topic: string, partition: number, log: PartitionLog) {
    this.topic = topic;
    this.partition = partition;
    this.log = log;
  }

  /** Rebuilds producer and transaction state from the log. */
  recover(): void {
    for (const b of this.log.scan()) this.observe(b.baseOffset, b.header, countOf(b));
  }

  /** Updates derived state for a batch now in the log. */
  observe(baseOffset: number, h: BatchHeader, count: number): void {
    if (h.control !== null) {
      const first = this.openTxns.get(h.producerId);
      if (first !== undefined) {
        this.openTxns.delete(h.producerId);
        if (h.control === "abort") {
          this.aborted.push({ producerId: h.producerId, firstOffset: first, lastOffset: baseOffset });
        }
        this.lso = -1;
      }
      this.producers.bumpEpoch(h.producerId, h.producerEpoch);
      return;
    }
    if (h.producerId >= 0 && h.baseSequence >= 0) {
      this.producers.observe(h.producerId, h.producerEpoch, h.baseSequence, count, baseOffset);
    }
    if (h.transactional && !this.openTxns.has(h.producerId)) {
      this.openTxns.set(h.producerId, baseOffset);
      this.lso = -1;
    }
  }

  /** First offset a read-committed reader may not see yet: the first offset of the oldest open transaction. */
  get lastStableOffset(): number {
    if (this.openTxns.size === 0) return this.log.endOffset;
    if (this.lso < 0) {
      let min = Number.POSITIVE_INFINITY;
      for (const first of this.openTxns.values()) if (first < min) min = first;
      this.lso = min;
    }
    return this.lso;
  }

  notify(): void {
    if (this.listeners.size === 0) return;
    for (const l of [...this.listeners]) l.onAppend(this);
  }

  private isAborted(producerId: number, offset: number): boolean {
    // Aborted transactions are few; newest last.
    for (let i = this.aborted.length - 1; i >= 0; i--) {
      const a = this.aborted[i]!;
      if (a.producerId === producerId && a.firstOffset <= offset && offset <= a.lastOffset) return true;
    }
    return false;
  }

  /**
   * Reads up to `maxRecords` records (exactly, trimming the last batch logically) visible to the
   * isolation level, from `offset`. Errors are data: OFFSET_OUT_OF_RANGE carries the log bounds.
   */
  read(offset: number, maxRecords: number, maxBytes: number, isolation: Isolation): PartitionFetch {
    const log = this.log;
    const hw = log.endOffset;
    const lso = this.lastStableOffset;
    const start = log.startOffset;
    if (offset < start || offset > hw) {
      return {
        topic: this.topic,
        partition: this.partition,
        batches: EMPTY,
        fromOffset: offset,
        nextOffset: offset,
        count: 0,
        error: BROKER_ERRORS.OFFSET_OUT_OF_RANGE,
        highWatermark: hw,
        lastStableOffset: lso,
        logStartOffset: start,
      };
    }
    const limit = isolation === "read_committed" ? lso : hw;
    let batches: readonly StoredBatch[] = EMPTY;
    let next = offset;
    let count = 0;
    if (offset < limit && maxRecords > 0) {
      let raw = log.read(offset, maxRecords, maxBytes);
      // `kept` stays null while the answer is a prefix raw[0, upto) (no allocation on the hot path).
      let kept: StoredBatch[] | null = null;
      let upto = 0;
      // The log counts whole batches (also records before `offset`): read on while short of maxRecords.
      for (let round = 0; ; round++) {
        let exhausted = true;
        for (let i = 0; i < raw.length; i++) {
          const b = raw[i]!;
          if (b.baseOffset >= limit) {
            exhausted = false;
            break;
          }
          const h = b.header;
          const len = countOf(b);
          const end = b.baseOffset + (len === 0 ? 1 : len);
          const skip =
            h.control !== null ||
            (isolation === "read_committed" && h.transactional && this.isAborted(h.producerId, b.baseOffset));
          if (skip) {
            if (kept === null) kept = raw.slice(0, upto);
            next = end;
            continue;
          }
          if (kept !== null) kept.push(b);
          else upto = i + 1;
          const first = Math.max(b.baseOffset, offset);
          const available = end - first;
          const room = maxRecords - count;
          if (available >= room) {
            count += room;
            next = first + room;
            exhausted = false;
            break;
          }
          count += available;
          next = end;
        }
        if (!exhausted || raw.length === 0 || next >= limit || round >= 15) break;
        if (kept === null) kept = raw.slice(0, upto);
        raw = log.read(next, maxRecords - count, maxBytes);
      }
      batches = kept ?? (upto === raw.length ? raw : raw.slice(0, upto));
      if (count === 0) batches = EMPTY;
    }
    return {
      topic: this.topic,
      partition: this.partition,
      batches,
      fromOffset: offset,
      nextOffset: next,
      count,
      error: null,
      highWatermark: hw,
      lastStableOffset: lso,
      logStartOffset: start,
    };
  }
}

/**
 * Records in a batch. Storage may expose `recordCount` so that counting does not materialize
 * record objects (the memory log does; its `records` are made on access).
 */
export function countOf(b: StoredBatch): number {
  const n = (b as { readonly recordCount?: number }).recordCount;
  return n ?? b.records.length;
}

/** Calls `fn` for each record of an answer, in offset order. */
export function forEachRecord(
  r: PartitionRecords,
  fn: (record: StoredBatch["records"][number], batch: StoredBatch) => void,
): void {
  const from = r.fromOffset;
  const to = r.nextOffset;
  for (const b of r.batches) {
    if (b.header.control !== null) continue;
    const recs = b.records;
    let i = from > b.baseOffset ? from - b.baseOffset : 0;
    for (; i < recs.length; i++) {
      const rec = recs[i]!;
      if (rec.offset >= to) return;
      fn(rec, b);
    }
  }
}

/** A batch that can hand out its records without making record objects (the memory log's). */
interface VisitableBatch extends StoredBatch {
  visit(
    from: number,
    to: number,
    fn: (offset: number, key: string | null, payload: Uint8Array) => void,
  ): void;
}

/**
 * Calls `fn(offset, key, payload)` for each record of an answer (from `from` on, when the reader
 * has moved past the answer's start), in offset order; cheaper than `forEachRecord` where storage
 * can skip making record objects.
 */
export function visitRecords(
  r: PartitionRecords,
  fn: (offset: number, key: string | null, payload: Uint8Array) => void,
  from = r.fromOffset,
): void {
  const to = r.nextOffset;
  for (const b of r.batches) {
    if (b.header.control !== null) continue;
    if (typeof (b as VisitableBatch).visit === "function") {
      (b as VisitableBatch).visit(from, to, fn);
      continue;
    }
    const recs = b.records;
    for (let i = from > b.baseOffset ? from - b.baseOffset : 0; i < recs.length; i++) {
      const rec = recs[i]!;
      if (rec.offset >= to) return;
      fn(rec.offset, rec.key, rec.payload);
    }
  }
}
