/**
 * Reading a history file in large chunks, line by line, recording where each line starts (for
 * witness text later). This is the JSON.parse reader; scan.ts is the fast one. A compact history
 * is read as the JSON lines its blocks render to (core/history/compact-file.ts).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { blockIntact, CompactFormatError } from "../core/history/compact.js";
import { type BlockRef, blockLines, blockName, CompactFileReader } from "../core/history/compact-file.js";
import { Float64Column } from "./columns.js";
import type { HistoryBuilder } from "./history-index.js";
import { applyLine } from "./parse-json.js";

const CHUNK_BYTES = 8 << 20;

export interface FileRead {
  readonly lineStarts: Float64Column;
  readonly fileSize: number;
}

/** Calls `onLine(text, line, last)` for each line; `last` only for an unterminated last line. */
export function forEachLine(
  path: string,
  onLine: (text: string, line: number, last: boolean) => void,
): FileRead {
  const fd = openSync(path, "r");
  const starts = new Float64Column(1 << 16);
  try {
    const fileSize = fstatSync(fd).size;
    let buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let carry = 0; // bytes of an unfinished line at buf[0..carry)
    let pos = 0; // file offset of buf[0]
    let line = 0;
    for (;;) {
      if (carry === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const n = readSync(fd, buf, carry, buf.length - carry, pos + carry);
      const end = carry + n;
      let start = 0;
      for (let nl = buf.indexOf(10, carry); nl >= 0 && nl < end; nl = buf.indexOf(10, start)) {
        starts.push(pos + start);
        onLine(buf.toString("utf8", start, nl), ++line, false);
        start = nl + 1;
      }
      if (n === 0) {
        if (start < end) {
          starts.push(pos + start);
          onLine(buf.toString("utf8", start, end), ++line, true);
        }
        return { lineStarts: starts, fileSize };
      }
      buf.copy(buf, 0, start, end);
      pos += start;
      carry = end - start;
    }
  } finally {
    closeSync(fd);
  }
}

export function buildFromFileJson(b: HistoryBuilder, path: string): FileRead {
  const read = forEachLine(path, (text, line, last) => applyLine(b, text, line, last, path));
  b.lines = read.lineStarts.length;
  return read;
}

/** The JSON.parse reader over a compact history: each block rendered to its JSON lines. */
export function buildFromCompactJson(
  b: HistoryBuilder,
  path: string,
): { blocks: BlockRef[]; truncated: string | null } {
  const reader = new CompactFileReader(path);
  const blocks: BlockRef[] = [];
  let truncated: string | null = null;
  try {
    for (let block = reader.next(); block !== null; block = reader.next()) {
      const { ref, payload } = block;
      if (!blockIntact(payload, ref.header)) {
        if (!reader.isLast(ref))
          throw new CompactFormatError(`${blockName(path, ref)}: damaged (CRC mismatch)`);
        truncated = `${blockName(path, ref)}: damaged (CRC mismatch): a torn last write`;
        break;
      }
      blocks.push(ref);
      const lines = blockLines(path, ref, payload);
      for (let i = 0; i < lines.length; i++) applyLine(b, lines[i]!, ref.firstLine + i, false, path);
    }
  } finally {
    reader.close();
  }
  truncated ??= reader.truncated;
  if (truncated !== null) b.warn(`${path}: ${truncated}; skipped (the recorder likely died mid-write)`);
  const last = blocks[blocks.length - 1];
  b.lines = last === undefined ? 0 : last.firstLine + last.header.lines - 1;
  return { blocks, truncated };
}
