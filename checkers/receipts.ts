/**
 * Each consumer's deliveries in the order it received them, and which of them are its first
 * receipt of that id (redeliveries to the same consumer carry no new order information).
 * Built once for the order families: a counting sort by process, O(deliveries + ids).
 */
import type { HistoryIndex } from "./history-index.js";

export interface Receipts {
  /** Deliveries grouped by process, each group in history order: byProcess[start[p] .. start[p+1]). */
  readonly start: Int32Array;
  readonly byProcess: Int32Array;
  /** Per delivery: 1 when its process had not received that id before. */
  readonly first: Uint8Array;
}

export function buildReceipts(ix: HistoryIndex): Receipts {
  const { proc, id } = ix.deliveries;
  const nProcs = ix.processNames.length;
  const n = proc.length;
  const start = new Int32Array(nProcs + 1);
  for (let d = 0; d < n; d++) start[proc[d]! + 1]!++;
  for (let p = 0; p < nProcs; p++) start[p + 1]! += start[p]!;
  const fill = start.slice(0, nProcs);
  const byProcess = new Int32Array(n);
  for (let d = 0; d < n; d++) byProcess[fill[proc[d]!]!++] = d;
  const first = new Uint8Array(n);
  // Stamp of the last process that received each id, while walking one process at a time.
  const stamp = new Int32Array(ix.idStatus.length).fill(-1);
  for (let p = 0; p < nProcs; p++) {
    for (let i = start[p]!; i < start[p + 1]!; i++) {
      const d = byProcess[i]!;
      const x = id[d]!;
      if (stamp[x] !== p) {
        stamp[x] = p;
        first[d] = 1;
      }
    }
  }
  return { start, byProcess, first };
}
