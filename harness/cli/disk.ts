/**
 * Before any run: will the histories fit on the output disk? The estimate (history/estimate.ts)
 * of every planned run is added up and compared with the space free where --out is; a suite that
 * may not fit is refused (exit 2) with what it needs, what there is, and the flags that change it.
 */
import { statfs } from "node:fs/promises";
import { UsageError } from "../../core/errors.js";
import { estimateHistoryBytes } from "../history/estimate.js";
import type { HistoryEncoding } from "../history/index.js";
import { MAX_RATE_ASSUMED, maxMessages, readingGroups, type Workload } from "../workload/index.js";

export function runHistoryBytes(w: Workload, encoding: HistoryEncoding): number {
  return estimateHistoryBytes(encoding, {
    messages: maxMessages(w),
    groups: readingGroups(w),
    keyed: w.keys !== "none",
  });
}

const GB = (bytes: number) =>
  bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Free bytes for an unprivileged writer on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/**
 * Throws a UsageError when the histories of `workloads` may not fit in `free` bytes. `free` is
 * passed in (not read here) so the rule is tested without filling a disk.
 */
export function checkHistoriesFit(
  workloads: readonly Workload[],
  encoding: HistoryEncoding,
  dir: string,
  free: number,
): void {
  const need = workloads.reduce((n, w) => n + runHistoryBytes(w, encoding), 0);
  if (need <= free) return;
  const atMax = workloads.some((w) => w.messages === null && typeof w.rate !== "number");
  const alternatives = [
    encoding === "jsonl" ? "--history-format compact" : null,
    "a shorter --duration or --messages",
    atMax ? "a --rate" : null,
    "--no-history",
  ].filter((x) => x !== null);
  throw new UsageError(
    `the histories of ${workloads.length === 1 ? "this run" : `these ${workloads.length} runs`} may need up to ` +
      `${GB(need)} (${encoding}${atMax ? `, max rate taken as ${MAX_RATE_ASSUMED.toLocaleString("en-US")} msg/s` : ""}) ` +
      `but ${dir} has ${GB(free)} free; use ${alternatives.join(", ")}, or --no-disk-check to run anyway`,
  );
}
