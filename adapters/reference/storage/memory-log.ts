/**
 * PartitionLog kept in memory: the embedded broker's default storage.
 *
 * Batches live in segments (rolled at `segmentBytes` of payload) so that retention behaves like the
 * file log's: whole old segments go, the active one never does. Appended payloads are copied into
 * one buffer per batch, so a producer that reuses its buffers cannot change what the log holds.
 *
 * The data (`MemoryLogData`) outlives one `MemoryLog` handle: a broker "restart" reopens the same
 * data through `MemoryLogFactory`, which is how tests check recovery without a disk.
 */
import {
  type BatchHeader,
  OffsetOutOfRangeError,
  type PartitionLog,
  type RecordInput,
  type RetentionPolicy,
  type StoredBatch,
  type StoredRecord,
} from "./partition-log.js";
import { type RecordsIn, recordInputs } from "./record-section.js";

export interface MemoryLogOptions {
  /** Roll to a new segment after this many payload bytes (default 64 MiB). */
  readonly segmentBytes?: number;
  readonly retention?: RetentionPolicy;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const NO_RETENTION: RetentionPolicy = { maxAgeMs: null, maxBytes: null };

interface Segment {
  readonly baseOffset: number;
  readonly batches: StoredBatch[];
  bytes: number;
  lastTimestampMs: number;
}

/** The contents of one partition, shared by every handle opened on it. */
export class MemoryLogData {
  readonly segments: Segment[] = [];
  startOffset = 0;
  endOffset = 0;
  totalBytes = 0;
}

/**
 * A batch kept as one payload buffer plus record boundaries; record objects are made when read
 * (short-lived garbage) rather than kept per message (long-lived), which keeps the GC cheap at
 * millions of messages per second.
 */
export class MemoryBatch implements StoredBatch {
  readonly baseOffset: number;
  readonly header: BatchHeader;
  readonly recordCount: number;
  readonly bytes: number;
  private readonly buf: Uint8Array;
  private readonly ends: Uint32Array;
  /** null when every key is null. */
  private readonly keys: (string | null)[] | null;

  constructor(baseOffset: number, header: BatchHeader, records: readonly RecordInput[]) {
    this.baseOffset = baseOffset;
    this.header = header;
    const n = records.length;
    this.recordCount = n;
    let bytes = 0;
    let keys: (string | null)[] | null = null;
    // Producers often hand in views of one slab, back to back: then one copy does the batch.
    // Typed-array getters cost more than the copy: the first payload's are read once, and each
    // record's length once (kept as its end).
    const first = n > 0 ? records[0]!.payload : null;
    const firstBuffer = first?.buffer;
    const firstOffset = first?.byteOffset ?? 0;
    let contiguous = first !== null;
    const ends = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      const p = r.payload;
      if (contiguous && (p.byteOffset !== firstOffset + bytes || p.buffer !== firstBuffer))
        contiguous = false;
      bytes += p.byteLength;
      ends[i] = bytes;
      if (r.key !== null) {
        if (keys === null) keys = new Array<string | null>(n).fill(null);
        keys[i] = r.key;
      }
    }
    this.bytes = bytes;
    this.keys = keys;
    // The log owns its bytes: one copy per batch.
    const buf = new Uint8Array(bytes);
    if (contiguous) {
      buf.set(new Uint8Array(firstBuffer!, firstOffset, bytes));
    } else {
      let pos = 0;
      for (let i = 0; i < n; i++) {
        buf.set(records[i]!.payload, pos);
        pos = ends[i]!;
      }
    }
    this.buf = buf;
    this.ends = ends;
  }

  /** Records with offsets in [from, to), without making record objects. */
  visit(
    from: number,
    to: number,
    fn: (offset: number, key: string | null, payload: Uint8Array) => void,
  ): void {
    const base = this.baseOffset;
    const first = from > base ? from - base : 0;
    const last = Math.min(this.recordCount, to - base);
    const keys = this.keys;
    let start = first === 0 ? 0 : this.ends[first - 1]!;
    for (let i = first; i < last; i++) {
      const end = this.ends[i]!;
      fn(base + i, keys === null ? null : keys[i]!, this.buf.subarray(start, end));
      start = end;
    }
  }

  get records(): readonly StoredRecord[] {
    const n = this.recordCount;
    const out: StoredRecord[] = new Array(n);
    const keys = this.keys;
    let start = 0;
    for (let i = 0; i < n; i++) {
      const end = this.ends[i]!;
      out[i] = {
        offset: this.baseOffset + i,
        key: keys === null ? null : keys[i]!,
        payload: this.buf.subarray(start, end),
      };
      start = end;
    }
    return out;
  }
}

/** Records in a batch without materializing them when the batch is a MemoryBatch. */
export function recordCount(b: StoredBatch): number {
  return b instanceof MemoryBatch ? b.recordCount : b.records.length;
}

/** Index of the last element whose `key(x) <= target`, or -1. */
function floorIndex<T>(items: readonly T[], target: number, key: (x: T) => number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (key(items[mid]!) <= target) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

const segmentBase = (s: Segment) => s.baseOffset;
const batchBase = (b: StoredBatch) => b.baseOffset;

export class MemoryLog implements PartitionLog {
  private readonly data: MemoryLogData;
  private readonly segmentBytes: number;
  private readonly retention: RetentionPolicy;
  private closed = false;

  constructor(options: MemoryLogOptions = {}, data: MemoryLogData = new MemoryLogData()) {
    this.data = data;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.retention = options.retention ?? NO_RETENTION;
  }

  get startOffset(): number {
    return this.data.startOffset;
  }

  get endOffset(): number {
    return this.data.endOffset;
  }

  get flushedOffset(): number {
    return this.data.endOffset;
  }

  append(header: BatchHeader, appended: RecordsIn): number {
    if (this.closed) throw new Error("append to a closed partition log");
    const records = recordInputs(appended);
    if (header.control !== null && records.length > 0) {
      throw new Error("a control batch carries no records");
    }
    if (header.control === null && records.length === 0) {
      throw new Error(
        "an empty batch cannot be appended (only control batches take an offset without records)",
      );
    }
    const data = this.data;
    const baseOffset = data.endOffset;
    const batch = new MemoryBatch(baseOffset, header, records);
    const bytes = batch.bytes;
    let active = data.segments[data.segments.length - 1];
    if (active === undefined || (active.bytes >= this.segmentBytes && active.batches.length > 0)) {
      active = { baseOffset, batches: [], bytes: 0, lastTimestampMs: header.timestampMs };
      data.segments.push(active);
    }
    active.batches.push(batch);
    active.bytes += bytes;
    active.lastTimestampMs = header.timestampMs;
    data.totalBytes += bytes;
    data.endOffset = baseOffset + Math.max(records.length, 1);
    return baseOffset;
  }

  read(offset: number, maxRecords: number, maxBytes: number): readonly StoredBatch[] {
    const data = this.data;
    if (offset < data.startOffset || offset > data.endOffset) {
      throw new OffsetOutOfRangeError(offset, data.startOffset, data.endOffset);
    }
    if (offset === data.endOffset) return [];
    const segments = data.segments;
    let si = floorIndex(segments, offset, segmentBase);
    if (si < 0) si = 0;
    let seg = segments[si]!;
    let bi = floorIndex(seg.batches, offset, batchBase);
    if (bi < 0) bi = 0;
    const out: StoredBatch[] = [];
    let records = 0;
    let bytes = 0;
    while (seg !== undefined) {
      const batches = seg.batches;
      for (; bi < batches.length; bi++) {
        const b = batches[bi]!;
        out.push(b);
        if (b instanceof MemoryBatch) {
          records += b.recordCount;
          bytes += b.bytes;
        } else {
          for (const r of b.records) bytes += r.payload.byteLength;
          records += b.records.length;
        }
        if (records >= maxRecords || bytes >= maxBytes) return out;
      }
      si++;
      seg = segments[si]!;
      bi = 0;
    }
    return out;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  enforceRetention(nowMs: number): number {
    const data = this.data;
    const { maxAgeMs, maxBytes } = this.retention;
    // Never the active (last) segment, as Kafka: it is still being written.
    while (data.segments.length > 1) {
      const oldest = data.segments[0]!;
      const tooOld = maxAgeMs !== null && nowMs - oldest.lastTimestampMs > maxAgeMs;
      const tooBig = maxBytes !== null && data.totalBytes > maxBytes;
      if (!tooOld && !tooBig) break;
      data.segments.shift();
      data.totalBytes -= oldest.bytes;
      data.startOffset = data.segments[0]!.baseOffset;
    }
    return data.startOffset;
  }

  *scan(): Iterable<StoredBatch> {
    for (const seg of this.data.segments) {
      for (const b of seg.batches) yield b;
    }
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
