/**
 * Comparing result sets. Runs are matched by what they ran — workload, matrix point and adapter —
 * not by directory name (`--adapter all` appends `-<adapter>` to run ids, a single adapter does
 * not). For each matched pair: every parameter that differs (workload fields, adapter settings,
 * versions, machine) with both values, and each figure as new/old, flagged only when it moved the
 * wrong way past both a relative and an absolute tolerance. Throughput is judged against what was
 * offered: at 1.5× the offered rate, 1.5× the throughput is "as offered", not "better".
 */
import { UsageError } from "../core/errors.js";
import type { RunResult } from "../core/results.js";
import { fmtRate, fmtRatio, forbiddenSummary, offeredRate, pointText, valueText } from "./figures.js";
import type { ResultSet } from "./load.js";

export const DEFAULT_TOLERANCE = 0.1;

export type Unit = "msg/s" | "ms" | "msgs";

/** Below these differences a figure is "same" whatever its ratio: 0.04 → 0.08 ms is not 2× worse. */
export const DEFAULT_ABS_TOLERANCE: Readonly<Record<Unit, number>> = { "msg/s": 100, ms: 1, msgs: 100 };

export interface ComparedFigure {
  readonly name: string;
  readonly unit: Unit;
  /** Which way is better. */
  readonly better: "higher" | "lower";
  /** Judged against the offered rate when that differs between the sets. */
  readonly perOffered?: boolean;
  readonly read: (r: RunResult) => number;
}

/** The figures compared, each named with its unit. Latencies corrected for coordinated omission. */
export const COMPARED_FIGURES: readonly ComparedFigure[] = [
  {
    name: "publish throughput",
    unit: "msg/s",
    better: "higher",
    perOffered: true,
    read: (r) => r.throughput.publishMsgsPerSec,
  },
  {
    name: "consume throughput",
    unit: "msg/s",
    better: "higher",
    perOffered: true,
    read: (r) => r.throughput.consumeMsgsPerSec,
  },
  { name: "end-to-end p50", unit: "ms", better: "lower", read: (r) => r.latency.endToEnd.corrected.p50Ms },
  { name: "end-to-end p99", unit: "ms", better: "lower", read: (r) => r.latency.endToEnd.corrected.p99Ms },
  { name: "end-to-end p99.9", unit: "ms", better: "lower", read: (r) => r.latency.endToEnd.corrected.p999Ms },
  { name: "end-to-end max", unit: "ms", better: "lower", read: (r) => r.latency.endToEnd.corrected.maxMs },
  { name: "publish p50", unit: "ms", better: "lower", read: (r) => r.latency.publish.corrected.p50Ms },
  { name: "publish p99", unit: "ms", better: "lower", read: (r) => r.latency.publish.corrected.p99Ms },
  { name: "max backlog", unit: "msgs", better: "lower", read: (r) => r.backlog.maxMsgs },
  { name: "lost", unit: "msgs", better: "lower", read: (r) => r.verdict?.counts.lost ?? 0 },
  {
    name: "delivered twice",
    unit: "msgs",
    better: "lower",
    read: (r) => r.verdict?.counts["duplicate-delivery"] ?? 0,
  },
];

export type Change = "worse" | "better" | "same" | "n/a";

export interface RatioRow {
  /** The matched point, as a reader names it (`reference · delivery=push`). */
  readonly point: string;
  /** The new run's id. */
  readonly runId: string;
  readonly figure: string;
  readonly unit: Unit;
  readonly old: number;
  readonly new: number;
  /** new / old; null when old is 0 (no ratio to speak of). */
  readonly ratio: number | null;
  readonly change: Change;
  /** Context for the change: `offered 20,000 → 30,000 msg/s: 1.02× of what was offered`. */
  readonly note: string | null;
}

/** One parameter that differs between the sets, with the values on each side. */
export interface ParameterDifference {
  readonly name: string;
  readonly values: readonly {
    readonly old: string;
    readonly new: string;
    /** The matched points with these two values. */
    readonly points: readonly string[];
  }[];
}

export interface VerdictChange {
  readonly point: string;
  readonly old: string;
  readonly new: string;
  readonly change: Change;
}

export interface Comparison {
  readonly oldLabel: string;
  readonly newLabel: string;
  /** Relative tolerance (0.1 = 10 %). */
  readonly tolerance: number;
  readonly absTolerance: Readonly<Record<Unit, number>>;
  /** Points present in both sets. */
  readonly matched: number;
  readonly differences: readonly ParameterDifference[];
  readonly rows: readonly RatioRow[];
  readonly verdictChanges: readonly VerdictChange[];
  readonly onlyOld: readonly string[];
  readonly onlyNew: readonly string[];
  /** Matched points where one side did not complete: no figures to compare. */
  readonly notComparable: readonly { point: string; oldStatus: string; newStatus: string }[];
}

export interface Tolerances {
  readonly relative?: number;
  readonly absolute?: Partial<Record<Unit, number>>;
}

/**
 * How a figure moved: worse/better when it changed by more than `relative` (0.1 = 10 %) *and* by
 * more than `absolute` (in the figure's unit); else same.
 */
export function classify(
  old: number,
  now: number,
  better: "higher" | "lower",
  relative: number,
  absolute = 0,
): Change {
  if (!Number.isFinite(old) || !Number.isFinite(now)) return "n/a";
  if (Math.abs(now - old) <= absolute) return "same";
  if (old === 0) return now === 0 ? "same" : better === "lower" ? "worse" : "better";
  const ratio = now / old;
  const up = ratio > 1 + relative;
  const down = ratio < 1 - relative;
  if (!up && !down) return "same";
  return up === (better === "higher") ? "better" : "worse";
}

/** What identifies a run across sets: its workload, its matrix point, its adapter. */
export function pointKey(r: RunResult): string {
  const matrix = Object.entries(r.workload.matrix)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, valueText(v)]);
  return JSON.stringify([r.workload.name, matrix, r.adapter.name]);
}

interface Pair {
  readonly point: string;
  readonly old: RunResult;
  readonly now: RunResult;
}

/**
 * Pairs runs by point; where one point holds several runs on a side (a workload given twice), those
 * pair by run id, then in order.
 */
export function matchRuns(
  oldRuns: readonly RunResult[],
  newRuns: readonly RunResult[],
): { pairs: { old: RunResult; now: RunResult }[]; onlyOld: RunResult[]; onlyNew: RunResult[] } {
  const byKey = (rs: readonly RunResult[]) => {
    const m = new Map<string, RunResult[]>();
    for (const r of rs) m.set(pointKey(r), [...(m.get(pointKey(r)) ?? []), r]);
    return m;
  };
  const olds = byKey(oldRuns);
  const pairs: { old: RunResult; now: RunResult }[] = [];
  const onlyNew: RunResult[] = [];
  const used = new Set<RunResult>();
  for (const now of newRuns) {
    const candidates = (olds.get(pointKey(now)) ?? []).filter((o) => !used.has(o));
    const old = candidates.find((o) => o.runId === now.runId) ?? candidates[0];
    if (old === undefined) {
      onlyNew.push(now);
      continue;
    }
    used.add(old);
    pairs.push({ old, now });
  }
  return { pairs, onlyOld: oldRuns.filter((o) => !used.has(o)), onlyNew };
}

function fmtValue(v: unknown): string {
  if (v === undefined) return "(absent)";
  if (v === null) return "-";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en-US") : String(v);
  return valueText(v);
}

/** The parameters of a run a comparison sets side by side, by name. */
export function comparedParameters(r: RunResult): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(r.workload.params)) {
    if (k === "name" || k === "description") continue;
    out.set(k, fmtValue(v));
  }
  out.set("workload file", fmtValue(r.workload.file));
  for (const [k, v] of Object.entries(r.adapter.settings ?? {})) out.set(`setting ${k}`, fmtValue(v));
  const e = r.environment;
  if (e) {
    out.set("brokerbench", fmtValue(e.brokerbench));
    out.set("Node.js", fmtValue(e.node));
    out.set("CPU", `${fmtValue(e.cpuModel)} × ${fmtValue(e.cpus)}`);
    out.set("memory MiB", fmtValue(e.memTotalMiB));
    out.set("host", fmtValue(e.hostname));
    for (const [k, v] of Object.entries(e.adapterVersions ?? {})) out.set(`${k} version`, fmtValue(v));
  }
  return out;
}

function differences(pairs: readonly Pair[]): ParameterDifference[] {
  const names: string[] = [];
  const perName = new Map<string, Map<string, { old: string; new: string; points: string[] }>>();
  for (const p of pairs) {
    const a = comparedParameters(p.old);
    const b = comparedParameters(p.now);
    for (const name of new Set([...a.keys(), ...b.keys()])) {
      const o = a.get(name) ?? "(absent)";
      const n = b.get(name) ?? "(absent)";
      if (o === n) continue;
      if (!perName.has(name)) {
        perName.set(name, new Map());
        names.push(name);
      }
      const values = perName.get(name) as Map<string, { old: string; new: string; points: string[] }>;
      const key = JSON.stringify([o, n]);
      const entry = values.get(key) ?? { old: o, new: n, points: [] };
      entry.points.push(p.point);
      values.set(key, entry);
    }
  }
  return names.map((name) => ({ name, values: [...(perName.get(name)?.values() ?? [])] }));
}

function verdictText(r: RunResult): string {
  if (!r.verdict) return "not checked";
  return r.verdict.valid ? "valid" : `INVALID (${forbiddenSummary(r)})`;
}

function figureRow(
  p: Pair,
  f: ComparedFigure,
  relative: number,
  absolute: Readonly<Record<Unit, number>>,
): RatioRow {
  const o = f.read(p.old);
  const n = f.read(p.now);
  const base = { point: p.point, runId: p.now.runId, figure: f.name, unit: f.unit, old: o, new: n };
  const ratio = o === 0 ? null : n / o;
  const offeredOld = offeredRate(p.old);
  const offeredNew = offeredRate(p.now);
  if (f.perOffered && offeredOld !== offeredNew) {
    if (offeredOld === null || offeredNew === null) {
      return {
        ...base,
        ratio,
        change: "n/a",
        note: `offered ${offeredOld === null ? "max" : fmtRate(offeredOld)} → ${offeredNew === null ? "max" : fmtRate(offeredNew)} msg/s`,
      };
    }
    // Judged against what was asked for: the old figure scaled by the offered ratio.
    const scale = offeredNew / offeredOld;
    const expected = o * scale;
    const change = classify(expected, n, f.better, relative, absolute[f.unit]);
    const ofOffered = expected > 0 ? `; ${fmtRatio(n / expected)} of that` : "";
    return {
      ...base,
      ratio,
      change,
      note: `offered ${fmtRate(offeredOld)} → ${fmtRate(offeredNew)} msg/s, ${fmtRatio(scale)}${ofOffered}`,
    };
  }
  return { ...base, ratio, change: classify(o, n, f.better, relative, absolute[f.unit]), note: null };
}

export function compareSets(
  oldSet: ResultSet,
  newSet: ResultSet,
  tolerances: Tolerances | number = {},
): Comparison {
  const t = typeof tolerances === "number" ? { relative: tolerances } : tolerances;
  const relative = t.relative ?? DEFAULT_TOLERANCE;
  const absolute = { ...DEFAULT_ABS_TOLERANCE, ...t.absolute };
  const oldRuns = oldSet.runs.map((r) => r.result);
  const newRuns = newSet.runs.map((r) => r.result);
  const workloads = new Set([...oldRuns, ...newRuns].map((r) => r.workload.name));
  const name = (r: RunResult) =>
    pointText(r, [...(workloads.size > 1 ? ["workload"] : []), "adapter", ...Object.keys(r.workload.matrix)]);
  const matched = matchRuns(oldRuns, newRuns);
  const pairs: Pair[] = matched.pairs.map((p) => ({ point: name(p.now), old: p.old, now: p.now }));
  const rows: RatioRow[] = [];
  const verdictChanges: VerdictChange[] = [];
  const notComparable: { point: string; oldStatus: string; newStatus: string }[] = [];
  for (const p of pairs) {
    if (p.old.status !== "completed" || p.now.status !== "completed") {
      notComparable.push({ point: p.point, oldStatus: p.old.status, newStatus: p.now.status });
      continue;
    }
    for (const f of COMPARED_FIGURES) rows.push(figureRow(p, f, relative, absolute));
    const vo = verdictText(p.old);
    const vn = verdictText(p.now);
    if (vo !== vn) {
      const change: Change =
        p.old.verdict?.valid === true && p.now.verdict?.valid === false
          ? "worse"
          : p.old.verdict?.valid === false && p.now.verdict?.valid === true
            ? "better"
            : "n/a";
      verdictChanges.push({ point: p.point, old: vo, new: vn, change });
    }
  }
  return {
    oldLabel: oldSet.label,
    newLabel: newSet.label,
    tolerance: relative,
    absTolerance: absolute,
    matched: pairs.length,
    differences: differences(pairs),
    rows,
    verdictChanges,
    onlyOld: matched.onlyOld.map(name),
    onlyNew: matched.onlyNew.map(name),
    notComparable,
  };
}

/**
 * Nothing to compare is an input error: two sets that share no point (or whose shared points never
 * completed on both sides) would otherwise read as "no figure worse".
 */
export function assertComparable(c: Comparison): void {
  if (c.matched === 0) {
    const sample = (xs: readonly string[]) => xs.slice(0, 3).join("; ") + (xs.length > 3 ? "; …" : "");
    throw new UsageError(
      `${c.newLabel} vs ${c.oldLabel}: nothing to compare, no run of one matches a run of the other by workload, ` +
        `matrix point and adapter (${c.oldLabel}: ${sample(c.onlyOld) || "no runs"}; ${c.newLabel}: ${sample(c.onlyNew) || "no runs"})`,
    );
  }
  if (c.rows.length === 0) {
    throw new UsageError(
      `${c.newLabel} vs ${c.oldLabel}: nothing to compare, none of the ${c.matched} matched run(s) completed on both sides ` +
        `(${c.notComparable
          .slice(0, 3)
          .map((n) => `${n.point}: ${n.oldStatus} / ${n.newStatus}`)
          .join("; ")})`,
    );
  }
}

export function regressions(c: Comparison): RatioRow[] {
  return c.rows.filter((r) => r.change === "worse");
}

/** Regressions plus verdicts that went from valid to invalid: what `--fail-on-regression` fails on. */
export function worseCount(c: Comparison): number {
  return regressions(c).length + c.verdictChanges.filter((v) => v.change === "worse").length;
}

/**
 * `--abs-tolerance ms=2,msg/s=500,msgs=10`: absolute tolerances by unit; a unit left out keeps its
 * default.
 */
export function parseAbsTolerance(text: string): Partial<Record<Unit, number>> {
  const out: Partial<Record<Unit, number>> = {};
  for (const part of text.split(",").map((s) => s.trim())) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const unit = part.slice(0, eq).trim();
    const value = Number(part.slice(eq + 1));
    if (eq <= 0 || !(unit in DEFAULT_ABS_TOLERANCE)) {
      throw new UsageError(
        `--abs-tolerance ${part}: expected unit=value with unit one of ${Object.keys(DEFAULT_ABS_TOLERANCE).join(", ")}`,
      );
    }
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new UsageError(`--abs-tolerance ${part}: expected a number ≥ 0 after ${unit}=`);
    }
    out[unit as Unit] = value;
  }
  return out;
}
