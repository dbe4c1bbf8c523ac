/**
 * How large a run's history may grow, before it runs: so that a run that cannot fit on the output
 * disk is refused instead of filling it. An upper estimate (it errs on the side of "may not fit"),
 * from the bytes each encoding spends on a message:
 *
 * - JSON lines: a message is an entry of its send invoke (~45 bytes with a run's topic name), of
 *   its send ok (~80) and of one poll per group reading it (~100); a key adds ~12 to each send
 *   entry. (Measured: 206 bytes a message, 1 group, no keys, `npm run bench -- history`.)
 * - compact: runs of consecutive ids and offsets cost a few bytes per batch (measured 0.6 bytes a
 *   message, 1 group; 4.5 with keys, 2 groups and 16 partitions); the estimate allows for no runs
 *   at all: 2 bytes a message for its sends, 4 per group, 4 for keys.
 */
import type { HistoryEncoding } from "./encoders.js";

/** Lines besides messages (meta, assignments, drains, faults, commits): a margin per run. */
const PER_RUN_BYTES = 1 << 20;

export interface HistoryShape {
  /** Messages the producers send (at most). */
  readonly messages: number;
  /** Groups that read every message (a late group included). */
  readonly groups: number;
  readonly keyed: boolean;
}

export function bytesPerMessage(encoding: HistoryEncoding, shape: Omit<HistoryShape, "messages">): number {
  if (encoding === "jsonl") return 45 + 80 + 100 * shape.groups + (shape.keyed ? 24 : 0);
  return 2 + 4 * shape.groups + (shape.keyed ? 4 : 0);
}

export function estimateHistoryBytes(encoding: HistoryEncoding, shape: HistoryShape): number {
  return PER_RUN_BYTES + Math.ceil(shape.messages * bytesPerMessage(encoding, shape));
}
