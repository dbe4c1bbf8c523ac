/**
 * One segment of a partition on disk: `<baseOffset>.log` (record batches, see file-log-batch.ts)
 * and `<baseOffset>.index` (a sparse offset index: 8-byte entries [relativeOffset u32][position u32],
 * one every `indexIntervalBytes` of log, always one for the first batch).
 *
 * The index is a cache: recovery rebuilds it from the log whenever it is missing or disagrees.
 */
import fs from "node:fs";
import path from "node:path";
import { BATCH_HEADER_BYTES, type BatchFrame, offsetCount, readBatchFrame } from "./file-log-batch.js";

export const INDEX_ENTRY_BYTES = 8;
/** Index entries written together (one write per this many). */
const INDEX_BUNCH = 64;

export function segmentFileName(baseOffset: number, ext: "log" | "index"): string {
  return `${String(baseOffset).padStart(20, "0")}.${ext}`;
}

export class Segment {
  readonly baseOffset: number;
  readonly logPath: string;
  readonly indexPath: string;
  readonly fd: number;
  private indexFd: number;
  /** Bytes of valid batches in the log file. */
  size = 0;
  /** One past the last offset in this segment. */
  endOffset: number;
  /** Append time of the newest batch (retention by age); -Infinity when empty. */
  lastTimestampMs = Number.NEGATIVE_INFINITY;
  /** Sparse index in memory: absolute offsets and file positions, ascending. */
  private readonly indexOffsets: number[] = [];
  private readonly indexPositions: number[] = [];
  private bytesSinceIndex = 0;
  /** Index entries not yet written to the index file (it is a cache: written in bunches). */
  private unwrittenIndex: number[] = [];
  /** Written since the last fsync. */
  dirty = false;

  private constructor(dir: string, baseOffset: number, fd: number, indexFd: number) {
    this.baseOffset = baseOffset;
    this.endOffset = baseOffset;
    this.logPath = path.join(dir, segmentFileName(baseOffset, "log"));
    this.indexPath = path.join(dir, segmentFileName(baseOffset, "index"));
    this.fd = fd;
    this.indexFd = indexFd;
  }

  static create(dir: string, baseOffset: number): Segment {
    const fd = fs.openSync(path.join(dir, segmentFileName(baseOffset, "log")), "w+");
    const indexFd = fs.openSync(path.join(dir, segmentFileName(baseOffset, "index")), "w+");
    const s = new Segment(dir, baseOffset, fd, indexFd);
    s.dirty = true;
    return s;
  }

  /**
   * Opens an existing segment. `verifyAll` (the tail segment): scan every batch, check CRCs and
   * offsets, truncate at the first torn or corrupt batch, rebuild the index. Otherwise trust a
   * consistent index and scan only past its last entry; `nextBaseOffset` bounds the segment.
   * Returns the segment and how many bytes recovery cut off.
   */
  static open(
    dir: string,
    baseOffset: number,
    verifyAll: boolean,
    maxBatchBytes: number,
    indexIntervalBytes: number,
  ): { segment: Segment; truncatedBytes: number } {
    const fd = fs.openSync(path.join(dir, segmentFileName(baseOffset, "log")), "r+");
    const indexFd = fs.openSync(path.join(dir, segmentFileName(baseOffset, "index")), "a+");
    const s = new Segment(dir, baseOffset, fd, indexFd);
    const fileSize = fs.fstatSync(fd).size;
    let start = 0;
    let expected = baseOffset;
    if (!verifyAll && s.loadIndex(fileSize)) {
      start = s.indexPositions.at(-1) ?? 0;
      expected = s.indexOffsets.at(-1) ?? baseOffset;
    } else {
      s.indexOffsets.length = 0;
      s.indexPositions.length = 0;
    }
    // Scan [start, fileSize) batch by batch, in chunks.
    let pos = start;
    let chunk = Buffer.alloc(0);
    let chunkPos = 0;
    while (pos < fileSize) {
      let frame =
        chunk.length > 0 ? readBatchFrame(chunk, pos - chunkPos, verifyAll, maxBatchBytes) : "short";
      if (frame === "short") {
        const want = Math.min(fileSize - pos, Math.max(1 << 20, maxBatchBytes));
        chunk = Buffer.allocUnsafe(want);
        const n = fs.readSync(fd, chunk, 0, want, pos);
        chunk = chunk.subarray(0, n);
        chunkPos = pos;
        frame = readBatchFrame(chunk, 0, verifyAll, maxBatchBytes);
      }
      if (frame === "short" || frame === "corrupt" || frame.baseOffset !== expected) break;
      s.noteBatch(frame, pos, indexIntervalBytes, false);
      pos += frame.size;
      expected = frame.baseOffset + offsetCount(frame.recordCount);
    }
    const truncatedBytes = fileSize - pos;
    if (truncatedBytes > 0) {
      if (!verifyAll) {
        fs.closeSync(fd);
        fs.closeSync(indexFd);
        // A sealed segment disagreeing with its index: start over with a full verification.
        fs.rmSync(s.indexPath, { force: true });
        return Segment.open(dir, baseOffset, true, maxBatchBytes, indexIntervalBytes);
      }
      fs.ftruncateSync(fd, pos);
      s.dirty = true;
    }
    s.size = pos;
    s.endOffset = expected;
    if (verifyAll) s.rewriteIndex();
    return { segment: s, truncatedBytes };
  }

  /** Loads the index file when every entry is plausible; false means rebuild. */
  private loadIndex(fileSize: number): boolean {
    const size = fs.fstatSync(this.indexFd).size;
    if (size === 0 || size % INDEX_ENTRY_BYTES !== 0) return false;
    const buf = Buffer.allocUnsafe(size);
    fs.readSync(this.indexFd, buf, 0, size, 0);
    let lastOffset = -1;
    let lastPos = -1;
    for (let p = 0; p < size; p += INDEX_ENTRY_BYTES) {
      const offset = this.baseOffset + buf.readUInt32BE(p);
      const position = buf.readUInt32BE(p + 4);
      if (offset <= lastOffset || position <= lastPos || position + BATCH_HEADER_BYTES > fileSize)
        return false;
      this.indexOffsets.push(offset);
      this.indexPositions.push(position);
      lastOffset = offset;
      lastPos = position;
    }
    return this.indexPositions[0] === 0;
  }

  private rewriteIndex(): void {
    const buf = Buffer.allocUnsafe(this.indexOffsets.length * INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.indexOffsets.length; i++) {
      buf.writeUInt32BE(this.indexOffsets[i]! - this.baseOffset, i * INDEX_ENTRY_BYTES);
      buf.writeUInt32BE(this.indexPositions[i]!, i * INDEX_ENTRY_BYTES + 4);
    }
    fs.ftruncateSync(this.indexFd, 0);
    fs.writeSync(this.indexFd, buf, 0, buf.length, 0);
  }

  /** Records a batch at `position` in the in-memory state (and the index file when `writeIndex`). */
  private noteBatch(
    frame: BatchFrame,
    position: number,
    indexIntervalBytes: number,
    writeIndex: boolean,
  ): void {
    const last = this.indexPositions.at(-1);
    if (last === undefined || this.bytesSinceIndex >= indexIntervalBytes) {
      if (last === undefined || position > last) {
        this.indexOffsets.push(frame.baseOffset);
        this.indexPositions.push(position);
        if (writeIndex) {
          this.unwrittenIndex.push(frame.baseOffset - this.baseOffset, position);
          if (this.unwrittenIndex.length >= 2 * INDEX_BUNCH) this.writeIndex();
        }
      }
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += frame.size;
    this.lastTimestampMs = frame.timestampMs;
  }

  /** Appends an encoded batch at the end of the log file. */
  append(encoded: Buffer, frame: BatchFrame, indexIntervalBytes: number): void {
    let written = 0;
    try {
      while (written < encoded.length) {
        written += fs.writeSync(this.fd, encoded, written, encoded.length - written, this.size + written);
      }
    } catch (err) {
      // Leave no partial batch behind (e.g. ENOSPC): the log stays as it was.
      if (written > 0) fs.ftruncateSync(this.fd, this.size);
      throw err;
    }
    this.noteBatch(frame, this.size, indexIntervalBytes, true);
    this.size += encoded.length;
    this.endOffset = frame.baseOffset + offsetCount(frame.recordCount);
    this.dirty = true;
  }

  /**
   * Writes the index entries kept back. An index that lacks its last entries after a crash costs
   * only a longer scan on open (recovery scans the log past the index's last entry).
   */
  writeIndex(): void {
    const pending = this.unwrittenIndex;
    if (pending.length === 0) return;
    this.unwrittenIndex = [];
    const buf = Buffer.allocUnsafe((pending.length / 2) * INDEX_ENTRY_BYTES);
    for (let i = 0; i < pending.length; i += 2) {
      buf.writeUInt32BE(pending[i]!, (i / 2) * INDEX_ENTRY_BYTES);
      buf.writeUInt32BE(pending[i + 1]!, (i / 2) * INDEX_ENTRY_BYTES + 4);
    }
    fs.writeSync(this.indexFd, buf);
  }

  /** File position to start scanning from to find `offset`: the last index entry at or below it. */
  positionFor(offset: number): number {
    let lo = 0;
    let hi = this.indexOffsets.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.indexOffsets[mid]! <= offset) {
        found = this.indexPositions[mid]!;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  read(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(Math.max(0, Math.min(length, this.size - position)));
    let n = 0;
    while (n < buf.length) {
      const got = fs.readSync(this.fd, buf, n, buf.length - n, position + n);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  }

  close(): void {
    this.writeIndex();
    fs.closeSync(this.fd);
    fs.closeSync(this.indexFd);
  }

  delete(): void {
    this.unwrittenIndex = [];
    this.close();
    fs.rmSync(this.logPath, { force: true });
    fs.rmSync(this.indexPath, { force: true });
  }
}
