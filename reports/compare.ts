/**
 * Comparing result sets: runs matched by run id, each headline figure as new/old, flagged when it
 * moved the wrong way by more than the tolerance (throughput down, latency or backlog up).
 */
import type { RunResult } from "../core/results.js";
import type { ResultSet } from "./load.js";

export const DEFAULT_TOLERANCE = 0.1;

export interface ComparedFigure {
  readonly name: string;
  readonly unit: string;
  /** Which way is better. */
  readonly better: "higher" | "lower";
  readonly read: (r: RunResult) => number;
}

/** The figures compared, each named with its unit. Latencies corrected for coordinated omission. */
export const COMPARED_FIGURES: readonly ComparedFigure[] = [
  {
    name: "publish throughput",
    unit: "msg/s",
    better: "higher",
    read: (r) => r.throughput.publishMsgsPerSec,
  },
  {
    name: "consume throughput",
    unit: "msg/s",
    better: "higher",
    read: (r) => r.throughput.consumeMsgsPerSec,
  },
  { name: "end-to-end p50", unit: "ms", better: "lower", read: (r) => r.latency.endToEnd.corrected.p50Ms },
  { name: "end-to-end p99", unit: "ms", better: "lower", read: (r) => r.latency.endToEnd.corrected.p99Ms },
  { name: "end-to-end p99.9", unit: "ms", better: "lower", read: (r) => r.latency.endToEnd.corrected.p999Ms },
  { name: "end-to-end max", unit: "ms", better: "lower", read: (r) => r.latency.endToEnd.corrected.maxMs },
  { name: "publish p50", unit: "ms", better: "lower", read: (r) => r.latency.publish.corrected.p50Ms },
  { name: "publish p99", unit: "ms", better: "lower", read: (r) => r.latency.publish.corrected.p99Ms },
  { name: "max backlog", unit: "msgs", better: "lower", read: (r) => r.backlog.maxMsgs },
];

export type Change = "worse" | "better" | "same" | "n/a";

export interface RatioRow {
  readonly runId: string;
  readonly figure: string;
  readonly unit: string;
  readonly old: number;
  readonly new: number;
  /** new / old; null when old is 0 (no ratio to speak of). */
  readonly ratio: number | null;
  readonly change: Change;
}

export interface Comparison {
  readonly oldLabel: string;
  readonly newLabel: string;
  readonly tolerance: number;
  readonly rows: readonly RatioRow[];
  readonly onlyOld: readonly string[];
  readonly onlyNew: readonly string[];
  /** Matched runs where one side did not complete: no figures to compare. */
  readonly notComparable: readonly { runId: string; oldStatus: string; newStatus: string }[];
}

/** How a figure moved: worse/better beyond `tolerance` (0.1 = 10 %), else same. */
export function classify(old: number, now: number, better: "higher" | "lower", tolerance: number): Change {
  if (!Number.isFinite(old) || !Number.isFinite(now)) return "n/a";
  if (old === 0) return now === 0 ? "same" : better === "lower" ? "worse" : "better";
  const ratio = now / old;
  const up = ratio > 1 + tolerance;
  const down = ratio < 1 - tolerance;
  if (!up && !down) return "same";
  return up === (better === "higher") ? "better" : "worse";
}

export function compareSets(oldSet: ResultSet, newSet: ResultSet, tolerance = DEFAULT_TOLERANCE): Comparison {
  const oldById = new Map(oldSet.runs.map((r) => [r.result.runId, r.result]));
  const newById = new Map(newSet.runs.map((r) => [r.result.runId, r.result]));
  const rows: RatioRow[] = [];
  const notComparable: { runId: string; oldStatus: string; newStatus: string }[] = [];
  for (const [runId, now] of newById) {
    const old = oldById.get(runId);
    if (!old) continue;
    if (old.status !== "completed" || now.status !== "completed") {
      notComparable.push({ runId, oldStatus: old.status, newStatus: now.status });
      continue;
    }
    for (const f of COMPARED_FIGURES) {
      const o = f.read(old);
      const n = f.read(now);
      rows.push({
        runId,
        figure: f.name,
        unit: f.unit,
        old: o,
        new: n,
        ratio: o === 0 ? null : n / o,
        change: classify(o, n, f.better, tolerance),
      });
    }
  }
  return {
    oldLabel: oldSet.label,
    newLabel: newSet.label,
    tolerance,
    rows,
    onlyOld: [...oldById.keys()].filter((id) => !newById.has(id)),
    onlyNew: [...newById.keys()].filter((id) => !oldById.has(id)),
    notComparable,
  };
}

export function regressions(c: Comparison): RatioRow[] {
  return c.rows.filter((r) => r.change === "worse");
}
