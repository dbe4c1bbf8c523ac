/**
 * What the charts and tables share: the runs of every set flattened with their set's label, the
 * parameters that vary across them (the matrix dimensions a comparison groups by), per-second rates,
 * and the headline figures a reader looks for first.
 */
import type { RunResult } from "../core/results.js";
import type { ResultSet } from "./load.js";

export interface ReportRun {
  /** The label of the set the run came from (old / new when comparing). */
  readonly set: string;
  readonly result: RunResult;
}

export function flattenSets(sets: readonly ResultSet[]): ReportRun[] {
  return sets.flatMap((s) => s.runs.map((r) => ({ set: s.label, result: r.result })));
}

export function completed(runs: readonly ReportRun[]): ReportRun[] {
  return runs.filter((r) => r.result.status === "completed");
}

/** A run's parameters as text: its matrix values, then the adapter and the workload names. */
export function dimensions(r: RunResult): Map<string, string> {
  const d = new Map<string, string>();
  for (const [k, v] of Object.entries(r.workload.matrix))
    d.set(k, typeof v === "string" ? v : JSON.stringify(v));
  d.set("adapter", r.adapter.name);
  d.set("workload", r.workload.name);
  return d;
}

/** The dimensions whose value differs between runs, in the order they first appear. */
export function variedDimensions(runs: readonly ReportRun[]): string[] {
  const values = new Map<string, Set<string>>();
  for (const r of runs) {
    for (const [k, v] of dimensions(r.result)) {
      let s = values.get(k);
      if (!s) {
        s = new Set();
        values.set(k, s);
      }
      s.add(v);
    }
  }
  const keys = [...values.keys()];
  // A key some runs lack also varies (its absence is a value).
  return keys.filter((k) => (values.get(k)?.size ?? 0) > 1 || runs.some((r) => !dimensions(r.result).has(k)));
}

/** `k=v, k2=v2` over the given dimensions; the run id when there are none. */
export function dimensionLabel(r: RunResult, keys: readonly string[]): string {
  if (keys.length === 0) return r.runId;
  const d = dimensions(r);
  return keys.map((k) => `${k}=${d.get(k) ?? "-"}`).join(", ");
}

/**
 * A short name per run for legends and panel headers: the values that tell the runs apart
 * (`delivery=push, partitions=4`), prefixed by the set when several; the run id when those
 * values do not tell every run apart.
 */
export function shortLabels(runs: readonly ReportRun[]): Map<ReportRun, string> {
  const varied = variedDimensions(runs);
  const labels = new Map<ReportRun, string>();
  for (const r of runs)
    labels.set(r, varied.length === 0 ? r.result.runId : dimensionLabel(r.result, varied));
  const perSet = new Map<string, Set<string>>();
  for (const r of runs) {
    const seen = perSet.get(r.set) ?? new Set<string>();
    const label = labels.get(r) as string;
    if (seen.has(label)) {
      // Not distinctive: fall back to run ids, unique within a set by contract.
      for (const x of runs) labels.set(x, x.result.runId);
      return labels;
    }
    seen.add(label);
    perSet.set(r.set, seen);
  }
  return labels;
}

export interface RatePoint {
  /** Start of the interval, seconds since the run started. */
  readonly fromS: number;
  /** End of the interval, seconds since the run started. */
  readonly tS: number;
  readonly publishMsgsPerSec: number;
  readonly consumeMsgsPerSec: number;
  readonly backlogMsgs: number;
}

/** Per-interval rates: each sample counts the messages of the interval since the previous one. */
export function rates(r: RunResult): RatePoint[] {
  const out: RatePoint[] = [];
  let prev = 0;
  for (const s of r.timeseries) {
    const fromS = prev;
    const dt = s.tS - prev;
    prev = s.tS;
    if (dt <= 0) continue;
    out.push({
      fromS,
      tS: s.tS,
      publishMsgsPerSec: s.publishedMsgs / dt,
      consumeMsgsPerSec: s.consumedMsgs / dt,
      backlogMsgs: s.backlogMsgs,
    });
  }
  return out;
}

/**
 * A matrix dimension that sweeps the offered rate: its name says rate and at least two of its
 * values are numbers (`rate: [1000, 5000, max]`: the `max` run has no offered rate to plot).
 */
export function rateDimension(runs: readonly ReportRun[]): string | null {
  for (const key of variedDimensions(runs)) {
    if (!/rate/i.test(key)) continue;
    const numbers = runs.map((r) => r.result.workload.matrix[key]).filter(isRate);
    if (new Set(numbers).size > 1) return key;
  }
  return null;
}

export function isRate(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v > 0;
}

export interface Headline {
  readonly label: string;
  readonly text: string;
  /** Draw the reader's eye: a failed verdict, a blown tail. */
  readonly alarm: boolean;
}

/** The sentences a reader wants first: who was fastest, whose tail blew up, which verdict failed. */
export function headlines(runs: readonly ReportRun[], multiSet: boolean): Headline[] {
  const name = (r: ReportRun) => (multiSet ? `${r.set}: ${r.result.runId}` : r.result.runId);
  const done = completed(runs);
  const out: Headline[] = [];
  if (done.length > 0) {
    const fastest = maxBy(done, (r) => r.result.throughput.consumeMsgsPerSec);
    out.push({
      label: "Fastest",
      text: `${name(fastest)}: ${fmtRate(fastest.result.throughput.consumeMsgsPerSec)} msg/s consumed, ${fmtRate(fastest.result.throughput.publishMsgsPerSec)} msg/s published`,
      alarm: false,
    });
    const withE2e = done.filter((r) => r.result.latency.endToEnd.corrected.count > 0);
    if (withE2e.length > 0) {
      const best = maxBy(withE2e, (r) => -r.result.latency.endToEnd.corrected.p99Ms);
      out.push({
        label: "Lowest end-to-end p99",
        text: `${name(best)}: ${fmtMs(best.result.latency.endToEnd.corrected.p99Ms)}`,
        alarm: false,
      });
      const tail = maxBy(withE2e, (r) => tailRatio(r.result));
      const e = tail.result.latency.endToEnd.corrected;
      const ratio = tailRatio(tail.result);
      out.push({
        label: "Worst tail",
        text: `${name(tail)}: end-to-end p99.9 ${fmtMs(e.p999Ms)} is ${ratio.toFixed(1)}× its p50 (${fmtMs(e.p50Ms)}); max ${fmtMs(e.maxMs)}`,
        alarm: tailBlown(tail.result),
      });
      const co = maxBy(withE2e, (r) => coordinatedOmissionRatio(r.result));
      const coRatio = coordinatedOmissionRatio(co.result);
      if (coRatio >= CO_NOTE_RATIO) {
        out.push({
          label: "Coordinated omission",
          text: `${name(co)}: corrected p99 ${fmtMs(co.result.latency.endToEnd.corrected.p99Ms)} vs ${fmtMs(co.result.latency.endToEnd.uncorrected.p99Ms)} uncorrected (${coRatio.toFixed(1)}×): the producer fell behind its schedule`,
          alarm: coRatio >= TAIL_ALARM_RATIO,
        });
      }
    }
  }
  const judged = runs.filter((r) => r.result.verdict !== null);
  const invalid = judged.filter((r) => r.result.verdict?.valid === false);
  if (judged.length > 0) {
    out.push({
      label: "Verdicts",
      text:
        invalid.length === 0
          ? `all ${judged.length} valid`
          : `${invalid.length} of ${judged.length} invalid: ${invalid.map((r) => `${name(r)} (${anomalySummary(r.result)})`).join("; ")}`,
      alarm: invalid.length > 0,
    });
  }
  const skipped = runs.filter((r) => r.result.status !== "completed");
  if (skipped.length > 0) {
    out.push({
      label: "Not run",
      text: skipped
        .map((r) => `${name(r)} ${r.result.status}: ${r.result.reason ?? "no reason given"}`)
        .join("; "),
      alarm: skipped.some((r) => r.result.status === "error"),
    });
  }
  return out;
}

/** p99.9 over p50 ratio of corrected end-to-end latency at which the report calls a tail blown... */
export const TAIL_ALARM_RATIO = 10;
/** ...when the p99.9 is also this long: below it, a 40× ratio is scheduler noise on a shared machine. */
export const TAIL_ALARM_MIN_MS = 10;

export function tailBlown(r: RunResult): boolean {
  return tailRatio(r) >= TAIL_ALARM_RATIO && r.latency.endToEnd.corrected.p999Ms >= TAIL_ALARM_MIN_MS;
}
const CO_NOTE_RATIO = 1.5;

export function tailRatio(r: RunResult): number {
  const e = r.latency.endToEnd.corrected;
  return e.p50Ms > 0 ? e.p999Ms / e.p50Ms : 0;
}

export function coordinatedOmissionRatio(r: RunResult): number {
  const e = r.latency.endToEnd;
  return e.uncorrected.p99Ms > 0 ? e.corrected.p99Ms / e.uncorrected.p99Ms : 0;
}

/** `lost 3, key-order 1`: the nonzero anomaly counts of a verdict. */
export function anomalySummary(r: RunResult): string {
  const v = r.verdict;
  if (!v) return "not checked";
  const parts = Object.entries(v.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.length === 0 ? "no anomalies" : parts.join(", ");
}

function maxBy<T>(xs: readonly T[], f: (x: T) => number): T {
  let best = xs[0] as T;
  let bestV = f(best);
  for (const x of xs) {
    const v = f(x);
    if (v > bestV) {
      best = x;
      bestV = v;
    }
  }
  return best;
}

export function fmtRate(v: number): string {
  if (!Number.isFinite(v)) return "-";
  return v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1);
}

export function fmtMs(v: number): string {
  if (!Number.isFinite(v)) return "-";
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}
