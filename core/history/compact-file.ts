/**
 * Reading a compact history file (compact.ts) block by block, and rendering it as JSON lines: what
 * `brokerbench check` and `brokerbench history` need. A block cut short at the end of the file (a
 * recorder killed mid-write) is skipped with a note, as a JSON history's unterminated last line is;
 * anywhere else a damaged block is an error naming it.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { ByteWriter } from "./byte-writer.js";
import {
  BLOCK_HEADER_BYTES,
  type BlockHeader,
  blockIntact,
  CompactFormatError,
  decodeBlock,
  FILE_HEADER_BYTES,
  isCompact,
  readBlockHeader,
  readFileHeader,
} from "./compact.js";
import { HistoryFormatter } from "./formatter.js";

/** Where a block sits in its file, and the number of its first line (1-based). */
export interface BlockRef {
  readonly offset: number;
  readonly firstLine: number;
  readonly header: BlockHeader;
}

/** True when the file at `path` starts with the compact magic. */
export function isCompactFile(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(FILE_HEADER_BYTES);
    const n = readSync(fd, head, 0, head.length, 0);
    return isCompact(head.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** Sequential reader of a compact file's blocks. */
export class CompactFileReader {
  readonly path: string;
  readonly fileSize: number;
  private readonly fd: number;
  private pos = FILE_HEADER_BYTES;
  private nextLine = 1;
  /** Set when the file ends inside a block: what was skipped. */
  truncated: string | null = null;

  constructor(path: string) {
    this.path = path;
    this.fd = openSync(path, "r");
    try {
      this.fileSize = fstatSync(this.fd).size;
      const head = Buffer.alloc(FILE_HEADER_BYTES);
      const n = readSync(this.fd, head, 0, head.length, 0);
      readFileHeader(head.subarray(0, n), path);
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  /** Lines read so far. */
  get lines(): number {
    return this.nextLine - 1;
  }

  /**
   * The next block: its place and its payload read into a fresh buffer (`allocUnsafeSlow`, so it can
   * be transferred to a worker), or null at the end. The CRC is checked by `check` (the caller may
   * do it on another thread).
   */
  next(): { ref: BlockRef; payload: Buffer } | null {
    if (this.pos >= this.fileSize) return null;
    const left = this.fileSize - this.pos;
    if (left < BLOCK_HEADER_BYTES) {
      this.truncated = `the last ${left} byte(s) are an incomplete block header`;
      this.pos = this.fileSize;
      return null;
    }
    const hb = Buffer.alloc(BLOCK_HEADER_BYTES);
    readSync(this.fd, hb, 0, BLOCK_HEADER_BYTES, this.pos);
    const header = readBlockHeader(hb, 0);
    if (header.payloadBytes > left - BLOCK_HEADER_BYTES) {
      this.truncated =
        `the last block (lines ${this.nextLine}…, ${left} of ${header.payloadBytes + BLOCK_HEADER_BYTES} ` +
        "bytes) is incomplete";
      this.pos = this.fileSize;
      return null;
    }
    const payload = Buffer.allocUnsafeSlow(header.payloadBytes);
    let got = 0;
    while (got < payload.length) {
      const n = readSync(this.fd, payload, got, payload.length - got, this.pos + BLOCK_HEADER_BYTES + got);
      if (n === 0) break;
      got += n;
    }
    const ref: BlockRef = { offset: this.pos, firstLine: this.nextLine, header };
    this.pos += BLOCK_HEADER_BYTES + header.payloadBytes;
    this.nextLine += header.lines;
    return { ref, payload };
  }

  /** Message entries in all the file's whole blocks (their headers only: for sizing). */
  totalItems(): number {
    const hb = Buffer.alloc(BLOCK_HEADER_BYTES);
    let items = 0;
    for (let at = FILE_HEADER_BYTES; at + BLOCK_HEADER_BYTES <= this.fileSize; ) {
      readSync(this.fd, hb, 0, BLOCK_HEADER_BYTES, at);
      const h = readBlockHeader(hb, 0);
      at += BLOCK_HEADER_BYTES + h.payloadBytes;
      if (at > this.fileSize) break;
      items += h.items;
    }
    return items;
  }

  /** A block's payload, by its place (witness texts). */
  payloadOf(ref: BlockRef): Buffer {
    const payload = Buffer.alloc(ref.header.payloadBytes);
    readSync(this.fd, payload, 0, payload.length, ref.offset + BLOCK_HEADER_BYTES);
    return payload;
  }

  /** True when this block ends the file (a damaged last block is treated as a torn write). */
  isLast(ref: BlockRef): boolean {
    return ref.offset + BLOCK_HEADER_BYTES + ref.header.payloadBytes >= this.fileSize;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Where a block is named in messages: the file and its line range. */
export function blockName(path: string, ref: BlockRef): string {
  const last = ref.firstLine + Math.max(0, ref.header.lines - 1);
  return `${path}: block at byte ${ref.offset} (lines ${ref.firstLine}–${last})`;
}

/** Throws CompactFormatError unless the payload matches its header's CRC. */
export function verifyBlock(path: string, ref: BlockRef, payload: Uint8Array): void {
  if (!blockIntact(payload, ref.header))
    throw new CompactFormatError(`${blockName(path, ref)}: damaged (CRC mismatch)`);
}

/** One block's lines as JSON text (each without its newline). */
export function blockLines(path: string, ref: BlockRef, payload: Uint8Array): string[] {
  const chunks: Buffer[] = [];
  const writer = new ByteWriter(1 << 16, (chunk, release) => {
    chunks.push(Buffer.from(chunk)); // a copy: the chunk is reused
    release();
  });
  new HistoryFormatter(writer).consume(decodeBlock(payload, ref.header, blockName(path, ref)));
  writer.flush();
  const text = Buffer.concat(chunks).toString("utf8");
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * A history file's whole text as JSON lines, whichever encoding it is in: for tests and small
 * histories (it holds the text in memory).
 */
export function readHistoryText(path: string): string {
  if (!isCompactFile(path)) return readFileSync(path, "utf8");
  const reader = new CompactFileReader(path);
  const out: string[] = [];
  try {
    for (let b = reader.next(); b !== null; b = reader.next()) {
      verifyBlock(path, b.ref, b.payload);
      for (const line of blockLines(path, b.ref, b.payload)) out.push(line, "\n");
    }
  } finally {
    reader.close();
  }
  return out.join("");
}

/**
 * Writes a compact history as JSON lines through `write` (which may apply backpressure by being
 * async); returns the lines written and a note when the file ended inside a block.
 */
export async function compactToJsonLines(
  path: string,
  write: (chunk: Buffer) => void | Promise<void>,
): Promise<{ lines: number; truncated: string | null }> {
  const reader = new CompactFileReader(path);
  const pending: Buffer[] = [];
  const writer = new ByteWriter(1 << 20, (chunk, release) => {
    pending.push(Buffer.from(chunk)); // a copy: the chunk is reused
    release();
  });
  // One formatter for the whole file: string ids are the recorder's, the same in every block.
  const formatter = new HistoryFormatter(writer);
  try {
    for (let b = reader.next(); b !== null; b = reader.next()) {
      if (!blockIntact(b.payload, b.ref.header)) {
        if (reader.isLast(b.ref)) {
          reader.truncated = `${blockName(path, b.ref)} is damaged (CRC mismatch): a torn last write`;
          break;
        }
        throw new CompactFormatError(`${blockName(path, b.ref)}: damaged (CRC mismatch)`);
      }
      formatter.consume(decodeBlock(b.payload, b.ref.header, blockName(path, b.ref)));
      for (const chunk of pending.splice(0)) await write(chunk);
    }
    writer.flush();
    for (const chunk of pending.splice(0)) await write(chunk);
    return { lines: formatter.lines, truncated: reader.truncated };
  } finally {
    reader.close();
  }
}

/** A history file's first line (the meta line, where there is one), whichever encoding: cheap on any size. */
export function readFirstLine(path: string): string {
  if (isCompactFile(path)) {
    const reader = new CompactFileReader(path);
    try {
      const b = reader.next();
      return b === null ? "" : (blockLines(path, b.ref, b.payload)[0] ?? "");
    } finally {
      reader.close();
    }
  }
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(1 << 16);
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n).toString("utf8").split("\n", 1)[0] ?? "";
  } finally {
    closeSync(fd);
  }
}
