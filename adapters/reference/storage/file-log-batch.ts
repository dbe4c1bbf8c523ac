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

export const BATCH_HEADER_BYTES = 43;
/** Length and CRC fields: what precedes the checksummed part. */
export const BATCH_PREFIX_BYTES = 8;

const CONTROL_CODES = { commit: 1, abort: 2 } as const;

export function offsetCount(recordCount: number): number {
  return recordCount === 0 ? 1 : recordCount;
}

/**
 * Encodes a batch ready to append, and the same batch as the log hands it back (payloads are views
 * into the encoded bytes, so the caller's buffers are never retained).
 */
export function encodeBatch(
  baseOffset: number,
  header: BatchHeader,
  records: readonly RecordInput[],
): { readonly bytes: Buffer; readonly batch: StoredBatch } {
  const keys = records.map((r) => (r.key === null ? null : Buffer.from(r.key, "utf8")));
  let size = BATCH_HEADER_BYTES;
  for (let i = 0; i < records.length; i++) size += 8 + (keys[i]?.length ?? 0) + records[i]!.payload.length;
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt32BE(size - 4, 0);
  buf.writeBigInt64BE(BigInt(baseOffset), 8);
  buf.writeUInt32BE(records.length, 16);
  buf.writeBigInt64BE(BigInt(header.producerId), 20);
  buf.writeInt16BE(header.producerEpoch, 28);
  buf.writeInt32BE(header.baseSequence, 30);
  const control = header.control === null ? 0 : CONTROL_CODES[header.control];
  buf.writeUInt8((header.transactional ? 1 : 0) | (control << 1), 34);
  buf.writeBigInt64BE(BigInt(Math.trunc(header.timestampMs)), 35);
  let pos = BATCH_HEADER_BYTES;
  const stored: StoredRecord[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const key = keys[i];
    if (key === null || key === undefined) {
      buf.writeInt32BE(-1, pos);
      pos += 4;
    } else {
      buf.writeInt32BE(key.length, pos);
      key.copy(buf, pos + 4);
      pos += 4 + key.length;
    }
    const payload = records[i]!.payload;
    buf.writeInt32BE(payload.length, pos);
    buf.set(payload, pos + 4);
    stored[i] = {
      offset: baseOffset + i,
      key: records[i]!.key,
      payload: buf.subarray(pos + 4, pos + 4 + payload.length),
    };
    pos += 4 + payload.length;
  }
  buf.writeUInt32BE(crc32c(buf, 0, BATCH_PREFIX_BYTES, size), 4);
  return {
    bytes: buf,
    batch: {
      baseOffset,
      header: { ...header, timestampMs: Math.trunc(header.timestampMs) },
      records: stored,
    },
  };
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
    baseOffset: Number(buf.readBigInt64BE(pos + 8)),
    recordCount: buf.readUInt32BE(pos + 16),
    size: length + 4,
    timestampMs: Number(buf.readBigInt64BE(pos + 35)),
  };
}

export class CorruptBatchError extends Error {}

/** Decodes a whole (already framed) batch; payloads are views into `buf`. */
export function decodeBatch(buf: Buffer, pos: number): StoredBatch {
  const end = pos + 4 + buf.readUInt32BE(pos);
  const baseOffset = Number(buf.readBigInt64BE(pos + 8));
  const count = buf.readUInt32BE(pos + 16);
  const attributes = buf.readUInt8(pos + 34);
  const controlCode = (attributes >> 1) & 3;
  const header: BatchHeader = {
    producerId: Number(buf.readBigInt64BE(pos + 20)),
    producerEpoch: buf.readInt16BE(pos + 28),
    baseSequence: buf.readInt32BE(pos + 30),
    transactional: (attributes & 1) === 1,
    control: controlCode === 0 ? null : controlCode === 1 ? "commit" : "abort",
    timestampMs: Number(buf.readBigInt64BE(pos + 35)),
  };
  const records: StoredRecord[] = new Array(count);
  let p = pos + BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) throw new CorruptBatchError(`batch at offset ${baseOffset}: record ${i} overruns`);
    const keyLength = buf.readInt32BE(p);
    p += 4;
    let key: string | null = null;
    if (keyLength >= 0) {
      key = buf.toString("utf8", p, p + keyLength);
      p += keyLength;
    }
    const payloadLength = buf.readInt32BE(p);
    p += 4;
    if (payloadLength < 0 || p + payloadLength > end) {
      throw new CorruptBatchError(`batch at offset ${baseOffset}: record ${i} overruns`);
    }
    records[i] = { offset: baseOffset + i, key, payload: buf.subarray(p, p + payloadLength) };
    p += payloadLength;
  }
  return { baseOffset, header, records };
}
