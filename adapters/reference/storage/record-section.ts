/**
 * The record part of a stored batch (../STORAGE.md), which the wire protocol's record sets reuse
 * byte for byte: records back to back, each
 *
 *   [keyLength int32 (-1 = null)][key UTF-8][payloadLength int32][payload]
 *
 * with consecutive offsets. Handing such a section on whole (producer → broker → log → consumer)
 * costs one copy per batch instead of an object and an encode per record. Readers walk it without
 * making objects until a record is handed out.
 */
import type { RecordInput } from "./partition-log.js";

/**
 * Position after `n` records from `pos`, or -1 when they do not fit well-formed before `end`
 * (a negative length other than a null key, or a length past the end).
 */
export function skipRecords(buf: Buffer, pos: number, n: number, end: number): number {
  let p = pos;
  for (let i = 0; i < n; i++) {
    if (p + 4 > end) return -1;
    const keyLength = buf.readInt32BE(p);
    p += 4;
    if (keyLength > 0) p += keyLength;
    else if (keyLength < -1) return -1;
    if (p + 4 > end) return -1;
    const payloadLength = buf.readInt32BE(p);
    p += 4;
    if (payloadLength < 0 || p + payloadLength > end) return -1;
    p += payloadLength;
  }
  return p;
}

/**
 * Calls `fn(offset, key, payload)` for records `baseOffset + first` up to (not including)
 * `baseOffset + last` of the section at `pos` (the walk starts at record 0). Payloads are views.
 */
export function visitSection(
  buf: Buffer,
  pos: number,
  baseOffset: number,
  first: number,
  last: number,
  fn: (offset: number, key: string | null, payload: Uint8Array) => void,
): void {
  let p = first === 0 ? pos : skipRecords(buf, pos, first, buf.length);
  for (let i = first; i < last; i++) {
    const keyLength = buf.readInt32BE(p);
    p += 4;
    let key: string | null = null;
    if (keyLength >= 0) {
      key = keyLength === 0 ? "" : buf.toString("utf8", p, p + keyLength);
      p += keyLength;
    }
    const payloadLength = buf.readInt32BE(p);
    p += 4;
    fn(baseOffset + i, key, buf.subarray(p, p + payloadLength));
    p += payloadLength;
  }
}

/** Bytes `records` take encoded as a section (keys as UTF-8). */
export function sectionBytes(records: readonly RecordInput[]): number {
  let n = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    n += 8 + r.payload.byteLength;
    if (r.key !== null) n += Buffer.byteLength(r.key, "utf8");
  }
  return n;
}

/** Encodes `records` as a section into `buf` at `pos` (room: `sectionBytes`); returns the end. */
export function writeSection(buf: Buffer, pos: number, records: readonly RecordInput[]): number {
  let p = pos;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.key === null) {
      buf.writeInt32BE(-1, p);
      p += 4;
    } else {
      const n = buf.write(r.key, p + 4, "utf8");
      buf.writeInt32BE(n, p);
      p += 4 + n;
    }
    const payload = r.payload;
    buf.writeInt32BE(payload.byteLength, p);
    buf.set(payload, p + 4);
    p += 4 + payload.byteLength;
  }
  return p;
}

/**
 * Records already encoded as a section, checked well-formed when made: what a TCP produce hands
 * the broker, which appends it without decoding it.
 */
export class EncodedRecords {
  readonly count: number;
  readonly bytes: Buffer;

  private constructor(count: number, bytes: Buffer) {
    this.count = count;
    this.bytes = bytes;
  }

  /** `bytes` as `count` records, or null when it is not exactly that many well-formed records. */
  static check(bytes: Buffer, count: number): EncodedRecords | null {
    if (count < 0 || skipRecords(bytes, 0, count, bytes.length) !== bytes.length) return null;
    return new EncodedRecords(count, bytes);
  }

  static encode(records: readonly RecordInput[]): EncodedRecords {
    const buf = Buffer.allocUnsafe(sectionBytes(records));
    writeSection(buf, 0, records);
    return new EncodedRecords(records.length, buf);
  }

  /** The records as objects (payloads are views into the section). */
  decode(): RecordInput[] {
    const out: RecordInput[] = [];
    visitSection(this.bytes, 0, 0, 0, this.count, (_o, key, payload) => out.push({ key, payload }));
    return out;
  }
}

/** Records handed to a log: objects, or a section already encoded. */
export type RecordsIn = readonly RecordInput[] | EncodedRecords;

export function countRecords(records: RecordsIn): number {
  return records instanceof EncodedRecords ? records.count : records.length;
}

/** The records as objects (a section is decoded; views into it). */
export function recordInputs(records: RecordsIn): readonly RecordInput[] {
  return records instanceof EncodedRecords ? records.decode() : records;
}
