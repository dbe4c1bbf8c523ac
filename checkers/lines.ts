/**
 * Reading witness lines back: the indexes keep line numbers only; the text of the few lines a
 * verdict cites is fetched at the end, from memory or from the file by byte offset.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { type BlockRef, blockLines, CompactFileReader } from "../core/history/compact-file.js";
import type { Float64Column } from "./columns.js";

/** Longest witness text; longer lines are cut around the message they are cited for. */
export const WITNESS_TEXT_CHARS = 240;

export interface LineSource {
  /** The line's text (1-based), whole or up to a few hundred KB. */
  text(line: number): string;
}

export function memoryLines(lines: readonly string[]): LineSource {
  return { text: (line) => lines[line - 1] ?? "" };
}

/** Lines of a file, by the byte offset of each line's start (`starts[line - 1]`). */
export function fileLines(path: string, starts: Float64Column, fileSize: number): LineSource {
  return {
    text(line) {
      const start = starts.data[line - 1];
      if (start === undefined || line > starts.length) return "";
      const end = line < starts.length ? starts.data[line]! : fileSize;
      const len = Math.min(end - start, 1 << 20);
      const buf = Buffer.alloc(len);
      const fd = openSync(path, "r");
      try {
        readSync(fd, buf, 0, len, start);
      } finally {
        closeSync(fd);
      }
      return buf.toString("utf8").replace(/\r?\n$/, "");
    },
  };
}

/**
 * Lines of a file from the start of every `stride`-th line: reads from the nearest recorded start
 * and counts newlines forward.
 */
export function sparseFileLines(
  path: string,
  starts: Float64Column,
  stride: number,
  fileSize: number,
): LineSource {
  return {
    text(line) {
      const k = Math.floor((line - 1) / stride);
      let pos = starts.data[k];
      if (pos === undefined || k >= starts.length) return "";
      let skip = (line - 1) % stride;
      const fd = openSync(path, "r");
      try {
        const buf = Buffer.alloc(1 << 16);
        let text: Buffer[] = [];
        let taken = 0;
        while (pos < fileSize) {
          const n = readSync(fd, buf, 0, buf.length, pos);
          if (n === 0) break;
          let from = 0;
          while (skip > 0) {
            const nl = buf.indexOf(10, from);
            if (nl < 0 || nl >= n) break;
            skip--;
            from = nl + 1;
          }
          if (skip > 0) {
            pos += n;
            continue;
          }
          const nl = buf.indexOf(10, from);
          const end = nl >= 0 && nl < n ? nl : n;
          text.push(Buffer.from(buf.subarray(from, end)));
          taken += end - from;
          if (end < n || taken >= 1 << 20) break;
          pos += n;
          // the line continues in the next read
          skip = 0;
          text = text.length > 64 ? [Buffer.concat(text)] : text;
        }
        return Buffer.concat(text).toString("utf8").replace(/\r$/, "");
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** Lines of a compact history: the block holding the line, rendered to JSON lines (the last one kept). */
export function compactFileLines(path: string, blocks: readonly BlockRef[]): LineSource {
  let cached: { ref: BlockRef; lines: string[] } | null = null;
  return {
    text(line) {
      let lo = 0;
      let hi = blocks.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (blocks[mid]!.firstLine <= line) lo = mid;
        else hi = mid - 1;
      }
      const ref = blocks[lo];
      if (ref === undefined || line < ref.firstLine) return "";
      if (cached?.ref !== ref) {
        const reader = new CompactFileReader(path);
        try {
          cached = { ref, lines: blockLines(path, ref, reader.payloadOf(ref)) };
        } finally {
          reader.close();
        }
      }
      return cached.lines[line - ref.firstLine] ?? "";
    },
  };
}

/** A line's text cut to WITNESS_TEXT_CHARS, keeping its start and the part around `focus`. */
export function shorten(text: string, focus?: string | readonly string[]): string {
  if (text.length <= WITNESS_TEXT_CHARS) return text;
  const head = text.slice(0, 90);
  const ids = focus === undefined ? [] : typeof focus === "string" ? [focus] : focus;
  const cut = `${text.slice(0, WITNESS_TEXT_CHARS - 30)} … (${text.length} chars)`;
  // Shown whole when one of the ids is near the start already.
  if (ids.some((id) => text.lastIndexOf(`"${id}"`, WITNESS_TEXT_CHARS - 50) >= 0)) return cut;
  let at = -1;
  for (const id of ids) {
    at = text.indexOf(`"${id}"`, 90);
    if (at >= 0) break;
  }
  if (at < 0) return cut;
  // The object holding the focus: back to its opening brace, forward to its closing one.
  const open = text.lastIndexOf("{", at);
  const from = open > 90 ? open : Math.max(90, at - 40);
  const close = text.indexOf("}", at);
  const to = Math.min(close >= 0 ? close + 1 : at + 100, from + 130);
  return `${head} … ${text.slice(from, to)} … (${text.length} chars)`;
}
