/**
 * Reading a history file in large chunks, line by line, recording where each line starts (for
 * witness text later). This is the JSON.parse reader; scan.ts is the fast one.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
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
