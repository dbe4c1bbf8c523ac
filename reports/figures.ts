/**
 * What the charts, tables and headlines share: the runs of every set flattened with their set's
 * label, the parameters that vary across them, per-second rates, and the judgements a reader must
 * not have to make by eye: did a run keep up with what was offered, and what is wrong with it
 * (lost, duplicated, invalid, unfinished) that must be said next to any of its figures.
 */
import type { RunResult } from "../core/results.js";
import type { ResultSet } from "./load.js";

export interface ReportRun {
  /** The label of the set the run came from (old / new when comparing). */
  readonly set: string;
  readonly result: RunResult;
  /** The results.json it came from (absent for runs built in memory). */
  readonly file?: string;
}

export function flattenSets(sets: readonly ResultSet[]): ReportRun[] {
  return sets.flatMap((s) => s.runs.map((r) => ({ set: s.label, result: r.result, file: r.file })));
}

/** Statuses that never measured anything. Any other status with samples has figures to show. */
const NO_FIGURES = new Set(["not-supported", "error"]);

/**
 * A run with figures: completed, or stopped part-way (`interrupted`, or any status a newer runner
 * writes) with the samples it took. Such a run is charted, and its status said next to it.
 */
export function hasFigures(r: RunResult): boolean {
  if (r.status === "completed") return true;
  return !NO_FIGURES.has(r.status) && (r.timeseries?.length ?? 0) > 0;
}

export function measured(runs: readonly ReportRun[]): ReportRun[] {
  return runs.filter((r) => hasFigures(r.result));
}

/** A run's parameters as text: its matrix values, then the adapter and the workload names. */
export function dimensions(r: RunResult): Map<string, string> {
  const d = new Map<string, string>();
  for (const [k, v] of Object.entries(r.workload.matrix)) d.set(k, valueText(v));
  d.set("adapter", r.adapter.name);
  d.set("workload", r.workload.name);
  return d;
}

export function valueText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
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
 * How a reader names a run among these runs: the adapter when it varies, then the other values
 * that tell the runs apart (`jetstream · delivery=push`), the set first when several. The run id
 * when nothing varies or the values do not tell every run apart.
 */
export function runLabels(runs: readonly ReportRun[]): Map<ReportRun, string> {
  const varied = variedDimensions(runs);
  const labels = new Map<ReportRun, string>();
  const multiSet = new Set(runs.map((r) => r.set)).size > 1;
  for (const r of runs) {
    const own = pointText(r.result, varied);
    labels.set(r, multiSet ? `${r.set}: ${own}` : own);
  }
  if (new Set(labels.values()).size < runs.length) {
    for (const r of runs) labels.set(r, multiSet ? `${r.set}: ${r.result.runId}` : r.result.runId);
  }
  return labels;
}

/**
 * One dimension of a run as a reader names it: a word says itself (`push`, `at-least-once`,
 * `consumer-crash`), a number or flag needs its name (`partitions=4`, `rate=5000`).
 */
export function namedValue(r: RunResult, key: string): string {
  if (key === "adapter") return r.adapter.name;
  if (key === "workload") return r.workload.name;
  const v = r.workload.matrix[key];
  if (typeof v === "string" && v !== "" && !/^[\d.+-]/.test(v)) return v;
  return `${key}=${v === undefined ? "-" : valueText(v)}`;
}

/** `adapter · push, queue` over the given dimensions (the workload's name first when it is one of them). */
export function pointText(r: RunResult, keys: readonly string[]): string {
  if (keys.length === 0) return r.runId;
  const head = ["workload", "adapter"].filter((k) => keys.includes(k)).map((k) => namedValue(r, k));
  const rest = keys.filter((k) => k !== "workload" && k !== "adapter").map((k) => namedValue(r, k));
  return [...head, rest.join(", ")].filter((s) => s !== "").join(" · ");
}

export interface RatePoint {
  /** Start of the interval, seconds since the run started. */
  readonly fromS: number;
  /** End of the interval, seconds since the run started. */
  readonly tS: number;
  readonly publishMsgsPerSec: number;
  readonly consumeMsgsPerSec: number;
  readonly backlogMsgs: number;
  readonly e2eP50Ms: number | null;
  readonly e2eP99Ms: number | null;
}

/** Per-interval rates: each sample counts the messages of the interval since the previous one. */
export function rates(r: RunResult): RatePoint[] {
  const out: RatePoint[] = [];
  let prev = 0;
  for (const s of r.timeseries ?? []) {
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
      e2eP50Ms: s.e2eP50Ms ?? null,
      e2eP99Ms: s.e2eP99Ms ?? null,
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

/** The rate the producers were asked for (msg/s over all producers); null at `max`. */
export function offeredRate(r: RunResult): number | null {
  const v = r.workload.params["rate"];
  return isRate(v) ? v : null;
}

/** Consumer groups that read the stream (each consumes every message: pub-sub when > 1). */
export function groupCount(r: RunResult): number {
  const delivered = Object.keys(r.counts?.deliveredMsgs ?? {}).length;
  if (delivered > 0) return delivered;
  const g = r.workload.params["groups"];
  return typeof g === "number" && g > 0 ? g : 1;
}

/** When producing ended, seconds since the run started (the workload's duration, else the last sample that published). */
export function producingEndS(r: RunResult): number | null {
  const d = r.workload.params["durationS"];
  if (typeof d === "number" && d > 0 && r.workload.params["messages"] == null) return d;
  const published = (r.timeseries ?? []).filter((s) => s.publishedMsgs > 0);
  return published.length > 0 ? (published[published.length - 1]?.tS ?? null) : null;
}

/** Below this share of what was offered (or published), a run did not keep up. */
export const KEPT_UP_SHARE = 0.95;
/** The backlog is bounded when at the end of producing it holds at most this many seconds of messages... */
export const BOUNDED_BACKLOG_S = 1;
/** ...or at most this many messages, whichever is more (a few batches in flight are not a backlog). */
export const BOUNDED_BACKLOG_MIN_MSGS = 100;

/** Acknowledged messages: the runner's count, else the checker's. */
export function acknowledged(r: RunResult): number {
  return r.counts?.ackedMsgs ?? r.verdict?.messages.acknowledged ?? 0;
}

/** Loss from this share of acknowledged messages is named where a run's throughput falls short. */
export const LOSS_WORTH_SAYING = 0.01;

export interface Keeping {
  readonly offered: number | null;
  readonly published: number;
  readonly groups: number;
  readonly consumedPerGroup: number;
  /** Backlog (summed over groups) at the last sample of producing; null without samples. */
  readonly backlogAtEndMsgs: number | null;
  readonly backlogBounded: boolean;
  /** Published what was offered, every group consumed it, and the backlog stayed bounded. */
  readonly sustained: boolean;
  /** Why not, in words ("backlog 10,000 at the end of producing"); null when sustained. */
  readonly shortfall: string | null;
}

/** Did the run keep up with the offered rate? Throughput is only "sustained" with a bounded backlog. */
export function keeping(r: RunResult): Keeping {
  const offered = offeredRate(r);
  const published = r.throughput.publishMsgsPerSec;
  const groups = groupCount(r);
  const consumedPerGroup = r.throughput.consumeMsgsPerSec / groups;
  const end = producingEndS(r);
  const samples = (r.timeseries ?? []).filter((s) => end === null || s.tS <= Math.ceil(end));
  const last = samples[samples.length - 1];
  // Messages that were lost never arrive: they are not waiting in a backlog (the runner's backlog,
  // acknowledged minus delivered, counts them until the end).
  const lost = r.verdict?.counts.lost ?? 0;
  const backlogAtEndMsgs = last ? Math.max(0, last.backlogMsgs - lost) : null;
  const limit = Math.max(BOUNDED_BACKLOG_MIN_MSGS, BOUNDED_BACKLOG_S * published * groups);
  const backlogBounded = backlogAtEndMsgs !== null && backlogAtEndMsgs <= limit;
  const reasons: string[] = [];
  if (offered !== null && published < KEPT_UP_SHARE * offered)
    reasons.push(`published ${fmtRate(published)}/s of ${fmtRate(offered)}`);
  if (consumedPerGroup < KEPT_UP_SHARE * published)
    reasons.push(
      `consumed ${fmtRate(consumedPerGroup)}/s${groups > 1 ? " per group" : ""}` +
        (lost > LOSS_WORTH_SAYING * acknowledged(r) ? `, lost ${fmtCount(lost)}` : ""),
    );
  if (!backlogBounded)
    reasons.push(
      backlogAtEndMsgs === null
        ? "no backlog samples"
        : `backlog ${fmtCount(backlogAtEndMsgs)} when producing ended`,
    );
  return {
    offered,
    published,
    groups,
    consumedPerGroup,
    backlogAtEndMsgs,
    backlogBounded,
    sustained: reasons.length === 0 && r.status === "completed",
    shortfall: reasons.length === 0 ? null : reasons.join(", "),
  };
}

/**
 * What must be said next to any figure of this run before it is called best: its status when it
 * did not complete, a failed verdict, messages lost or processed twice, no verdict at all. Empty
 * for a clean run. Duplicate deliveries count too: a consumer that got a message twice did more
 * work than its latency shows.
 */
export function caveats(r: RunResult): string[] {
  const out: string[] = [];
  if (r.status !== "completed") out.push(r.status);
  const v = r.verdict;
  if (!v) {
    if (r.status === "completed") out.push("not checked");
    return out;
  }
  const acked = v.messages.acknowledged;
  if (!v.valid) {
    const forbidden = v.forbidden.filter((a) => (v.counts[a] ?? 0) > 0);
    out.push(`INVALID (${forbidden.map((a) => `${a} ${fmtCount(v.counts[a] ?? 0)}`).join(", ")})`);
  }
  const lost = v.counts.lost ?? 0;
  if (lost > 0 && (v.valid || !v.forbidden.includes("lost")))
    out.push(`lost ${fmtCount(lost)}${acked > 0 ? ` of ${fmtCount(acked)}` : ""}`);
  const dupDelivery = v.counts["duplicate-delivery"] ?? 0;
  const dupProcessing = v.counts["duplicate-processing"] ?? 0;
  if (dupDelivery > 0 && (v.valid || !v.forbidden.includes("duplicate-delivery")))
    out.push(`${fmtCount(dupDelivery)} delivered twice`);
  if (dupProcessing > 0 && (v.valid || !v.forbidden.includes("duplicate-processing")))
    out.push(`${fmtCount(dupProcessing)} processed twice`);
  const undrained = v.groups.filter((g) => !g.drained).map((g) => g.group);
  if (undrained.length > 0) out.push(`loss not judged for ${undrained.join(", ")}`);
  return out;
}

/** Coordinated-omission gap: corrected p99 over uncorrected p99. */
export function coordinatedOmissionRatio(r: RunResult): number {
  const e = r.latency.endToEnd;
  return e.uncorrected.p99Ms > 0 ? e.corrected.p99Ms / e.uncorrected.p99Ms : 0;
}

/** p99.9 over p50 ratio of corrected end-to-end latency at which a tail counts as blown... */
export const TAIL_ALARM_RATIO = 10;
/** ...when the p99.9 is also this long: below it, a 40× ratio is scheduler noise on a shared machine. */
export const TAIL_ALARM_MIN_MS = 10;

export function tailRatio(r: RunResult): number {
  const e = r.latency.endToEnd.corrected;
  return e.p50Ms > 0 ? e.p999Ms / e.p50Ms : 0;
}

export function tailBlown(r: RunResult): boolean {
  return tailRatio(r) >= TAIL_ALARM_RATIO && r.latency.endToEnd.corrected.p999Ms >= TAIL_ALARM_MIN_MS;
}

/** `lost 3, key-order 1`: the nonzero anomaly counts of a verdict. */
export function anomalySummary(r: RunResult): string {
  const v = r.verdict;
  if (!v) return "not checked";
  const parts = Object.entries(v.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${fmtCount(n)}`);
  return parts.length === 0 ? "no anomalies" : parts.join(", ");
}

/** The forbidden anomalies of an invalid verdict (`lost 3`), the reason it failed. */
export function forbiddenSummary(r: RunResult): string {
  const v = r.verdict;
  if (!v) return "not checked";
  const parts = v.forbidden.filter((a) => (v.counts[a] ?? 0) > 0).map((a) => `${a} ${fmtCount(v.counts[a])}`);
  return parts.length === 0 ? "no forbidden anomaly" : parts.join(", ");
}

export function fmtRate(v: number): string {
  if (!Number.isFinite(v)) return "-";
  return v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1);
}

export function fmtCount(v: number): string {
  return Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "-";
}

export function fmtMs(v: number): string {
  if (!Number.isFinite(v)) return "-";
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

/** `0.72×`, `23.9×`, `1,557×`: a ratio to the precision that matters. */
export function fmtRatio(x: number): string {
  if (!Number.isFinite(x)) return "-";
  if (x >= 100) return `${Math.round(x).toLocaleString("en-US")}×`;
  if (x >= 10) return `${x.toFixed(1)}×`;
  return `${x.toFixed(2)}×`;
}

/** `4–7 s`: a span of seconds, to the tenth when needed. */
export function fmtSpan(fromS: number, toS: number): string {
  const s = (x: number) => (Math.abs(x - Math.round(x)) < 0.05 ? String(Math.round(x)) : x.toFixed(1));
  return `${s(fromS)}–${s(toS)} s`;
}
