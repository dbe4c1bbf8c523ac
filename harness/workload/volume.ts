/**
 * How much a workload may move, before it runs: the messages it may send, and so what its history
 * (harness/history/estimate.ts, the CLI's disk check) and its payloads in memory (the runner's
 * memory warning) may come to. Upper estimates: a `rate: max` run (and each trial of `rate: find-max`) is taken at MAX_RATE_ASSUMED.
 */
import type { Workload } from "./schema.js";

/** The highest rate a `rate: max` run is assumed to reach (the embedded broker's best, rounded up). */
export const MAX_RATE_ASSUMED = 2_000_000;

/** Messages a run sends at most: its count, or its rate (max: MAX_RATE_ASSUMED) over its duration. */
export function maxMessages(w: Workload): number {
  const sent =
    w.messages ?? Math.ceil((typeof w.rate === "number" ? w.rate : MAX_RATE_ASSUMED) * w.durationS);
  // Reacting consumers send an answer for a fraction of what they receive.
  return Math.ceil(sent * (1 + (w.reactors?.fraction ?? 0)));
}

/** Groups that read every message (a late group included). */
export function readingGroups(w: Workload): number {
  return w.groups + (w.lateGroup === null ? 0 : 1);
}
