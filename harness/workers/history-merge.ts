/**
 * A distributed run's history is one file: the coordinator's lines (the meta line and the groups'
 * drain lines) then each worker's, appended whole (docs/HISTORY.md, "Histories from several
 * workers"). JSON lines append as they are; a compact file's blocks each decode on their own, so a
 * worker's compact file appends without its 16-byte file header. The checkers need no order across
 * processes, only each process's own, which every worker's file keeps.
 */
import { Transform, type TransformCallback } from "node:stream";
import { FILE_HEADER_BYTES as COMPACT_HEADER_BYTES, COMPACT_MAGIC } from "../../core/history/compact.js";
import type { HistoryEncoding } from "../history/index.js";

/** What a worker's history file becomes when appended to the run's: its header dropped when compact. */
export function segmentBody(encoding: HistoryEncoding, worker: string): Transform {
  let skip = encoding === "compact" ? COMPACT_HEADER_BYTES : 0;
  let checked = encoding !== "compact";
  let head = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (skip === 0) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < COMPACT_HEADER_BYTES) return done();
      if (!checked && !head.subarray(0, COMPACT_MAGIC.length).equals(Buffer.from(COMPACT_MAGIC)))
        return done(new Error(`worker ${worker}: its history is not a compact history file`));
      checked = true;
      skip = 0;
      const rest = head.subarray(COMPACT_HEADER_BYTES);
      head = Buffer.alloc(0);
      done(null, rest);
    },
    flush(done: TransformCallback) {
      // An empty file (a worker that recorded nothing) adds nothing; a torn header is an error.
      done(head.length === 0 ? null : new Error(`worker ${worker}: its history file is truncated`));
    },
  });
}
