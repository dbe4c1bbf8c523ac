/**
 * The on-disk form of one record batch (all integers big-endian; see ../STORAGE.md):
 *
 *   offset size field
 *   0      4    length: bytes after this field
 *   4      4    crc32c of bytes [8, 4 + length)
 *   8      8    baseOffset (i64)
 *   16     4    recordCount (0 for a control batch, which still takes one offset)
 *   20     8    producerId (i64, -1 none)
 *   28     2    producerEpoch (i16)
 *   30     4    baseSequence (i32, -1 none)
 *   34     1    attributes: bit 0 transactional; bits 1-2 control (0 none, 1 commit, 2 abort)
 *   35     8    timestampMs (i64)
 *   43     ...  records: [keyLength i32 (-1 = null)][key utf-8][payloadLength i32][payload]
 */
import { crc32c } from "./crc32c.js";
import type { BatchHeader, RecordInput, StoredBatch, StoredRecord } from "./partition-log.js";
import {
  countRecords,
  EncodedRecords,
  type RecordsIn,
  sectionBytes,
  skipRecords,
  visitSection,
  writeSection,
} from "./record-section.js";

export const BATCH_HEADER_BYTES = 43;
/** Length and CRC fields: what precedes the checksummed part. */
export const BATCH_PREFIX_BYTES = 8;

const CONTROL_CODES = { commit: 1, abort: 2 } as const;

export function offsetCount(recordCount: number): number {
  return recordCount === 0 ? 1 : recordCount;
}

/**
 * A stored batch read in place: the header decoded, the records walked only when handed out (no
 * object per record while it sits in the tail cache), and whole runs of records available as the
 * encoded section they are, for the wire.
 */
export class FileBatch implements StoredBatch {
  readonly baseOffset: number;
  readonly header: BatchHeader;
  readonly recordCount: number;
  /** The whole batch, length field included (its encoded form on disk). */
  readonly bytes: Buffer;

  constructor(bytes: Buffer, baseOffset: number, header: BatchHeader, recordCount: number) {
    this.bytes = bytes;
    this.baseOffset = baseOffset;
    this.header = header;
    this.recordCount = recordCount;
  }

  get records(): readonly StoredRecord[] {
    const out: StoredRecord[] = [];
    this.visit(this.baseOffset, this.baseOffset + this.recordCount, (offset, key, payload) =>
      out.push({ offset, key, payload }),
    );
    return out;
  }

  /** Records with offsets in [from, to), without making record objects. */
  visit(
    from: number,
    to: number,
    fn: (offset: number, key: string | null, payload: Uint8Array) => void,
  ): void {
    const first = Math.max(0, from - this.baseOffset);
    const last = Math.min(this.recordCount, to - this.baseOffset);
    if (first >= last) return;
    visitSection(this.bytes, BATCH_HEADER_BYTES, this.baseOffset, first, last, fn);
  }

  /** Records with offsets in [from, to) as their encoded section: its first offset, count and bytes. */
  section(from: number, to: number): { baseOffset: number; count: number; bytes: Buffer } | null {
    const first = Math.max(0, from - this.baseOffset);
    const last = Math.min(this.recordCount, to - this.baseOffset);
    if (first >= last) return null;
    const end = this.bytes.length;
    const start = first === 0 ? BATCH_HEADER_BYTES : skipRecords(this.bytes, BATCH_HEADER_BYTES, first, end);
    const stop = last === this.recordCount ? end : skipRecords(this.bytes, start, last - first, end);
    return {
      baseOffset: this.baseOffset + first,
      count: last - first,
      bytes: this.bytes.subarray(start, stop),
    };
  }
}

/**
 * Encodes a batch ready to append, and the same batch as the log hands it back (a view of the
 * encoded bytes, so the caller's buffers are never retained). An encoded section is copied whole.
 */
export function encodeBatch(
  baseOffset: number,
  header: BatchHeader,
  records: RecordsIn,
): { readonly bytes: Buffer; readonly batch: FileBatch } {
  const encoded = records instanceof EncodedRecords ? records : null;
  const list = encoded === null ? (records as readonly RecordInput[]) : null;
  const count = countRecords(records);
  const size = BATCH_HEADER_BYTES + (encoded !== null ? encoded.bytes.length : sectionBytes(list!));
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt32BE(size - 4, 0);
  writeInt64(buf, baseOffset, 8);
  buf.writeUInt32BE(count, 16);
  writeInt64(buf, header.producerId, 20);
  buf.writeInt16BE(header.producerEpoch, 28);
  buf.writeInt32BE(header.baseSequence, 30);
  const control = header.control === null ? 0 : CONTROL_CODES[header.control];
  buf.writeUInt8((header.transactional ? 1 : 0) | (control << 1), 34);
  const timestampMs = Math.trunc(header.timestampMs);
  writeInt64(buf, timestampMs, 35);
  if (encoded !== null) buf.set(encoded.bytes, BATCH_HEADER_BYTES);
  else writeSection(buf, BATCH_HEADER_BYTES, list!);
  buf.writeUInt32BE(crc32c(buf, 0, BATCH_PREFIX_BYTES, size), 4);
  const stored = header.timestampMs === timestampMs ? header : { ...header, timestampMs };
  return { bytes: buf, batch: new FileBatch(buf, baseOffset, stored, count) };
}

const TWO_32 = 2 ** 32;

/** A safe integer as int64 big-endian, without BigInt. */
function writeInt64(buf: Buffer, v: number, at: number): void {
  const hi = Math.floor(v / TWO_32);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(v - hi * TWO_32, at + 4);
}

function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}

/** What a scan learns from a batch's fixed part without decoding its records. */
export interface BatchFrame {
  readonly baseOffset: number;
  readonly recordCount: number;
  /** Whole batch size on disk, length field included. */
  readonly size: number;
  readonly timestampMs: number;
}

/**
 * Reads the fixed part of the batch at `pos` in `buf`. Returns `"short"` when `buf` ends before the
 * batch does, `"corrupt"` when the length is impossible or (with `verify`) the CRC does not match.
 */
export function readBatchFrame(
  buf: Buffer,
  pos: number,
  verify: boolean,
  maxBatchBytes: number,
): BatchFrame | "short" | "corrupt" {
  if (buf.length - pos < BATCH_HEADER_BYTES) return "short";
  const length = buf.readUInt32BE(pos);
  if (length + 4 < BATCH_HEADER_BYTES || length + 4 > maxBatchBytes) return "corrupt";
  if (buf.length - pos < length + 4) return "short";
  if (verify && crc32c(buf, 0, pos + BATCH_PREFIX_BYTES, pos + 4 + length) !== buf.readUInt32BE(pos + 4)) {
    return "corrupt";
  }
  return {
    baseOffset: readInt64(buf, pos + 8),
    recordCount: buf.readUInt32BE(pos + 16),
    size: length + 4,
    timestampMs: readInt64(buf, pos + 35),
  };
}

export class CorruptBatchError extends Error {}

/**
 * Reads a whole (already framed) batch in place (a view of `buf`); its records are checked to fit
 * but not decoded until handed out.
 */
export function decodeBatch(buf: Buffer, pos: number): FileBatch {
  const end = pos + 4 + buf.readUInt32BE(pos);
  const baseOffset = readInt64(buf, pos + 8);
  const count = buf.readUInt32BE(pos + 16);
  const attributes = buf.readUInt8(pos + 34);
  const controlCode = (attributes >> 1) & 3;
  const header: BatchHeader = {
    producerId: readInt64(buf, pos + 20),
    producerEpoch: buf.readInt16BE(pos + 28),
    baseSequence: buf.readInt32BE(pos + 30),
    transactional: (attributes & 1) === 1,
    control: controlCode === 0 ? null : controlCode === 1 ? "commit" : "abort",
    timestampMs: readInt64(buf, pos + 35),
  };
  const bytes = buf.subarray(pos, end);
  if (skipRecords(bytes, BATCH_HEADER_BYTES, count, bytes.length) < 0) {
    throw new CorruptBatchError(`batch at offset ${baseOffset}: its records overrun the batch`);
  }
  return new FileBatch(bytes, baseOffset, header, count);
}
