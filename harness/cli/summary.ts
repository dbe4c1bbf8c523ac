/**
 * The summary `brokerbench run` prints. By default it fits 120 columns: one row per run that ran
 * (named by the matrix values that tell the runs apart, the workload name in the heading), the
 * points an adapter could not run collapsed into a line per reason, then a note per run that is not
 * a plain valid completion, wrapped. `--wide` prints every column and every point. A run that is
 * not a plain completion (inconclusive, interrupted, error, INVALID) says why at the end of its row,
 * shortened to what fits (the note under the table has it whole).
 *
 * Figures after warmup, latencies from the intended send time (coordinated-omission corrected),
 * consumption per consumer group, duplicate processing beside duplicate delivery.
 */
import { ANOMALIES } from "../../checkers/verdict.js";
import type { RunResult } from "../../core/results.js";
import { groupCount, namedValue } from "../../reports/figures.js";
import { longestPauseMs } from "../metrics/process-pauses.js";
import { renderTable as renderPlainTable } from "./table.js";

/** The default width of everything the summary prints. */
export const SUMMARY_WIDTH = 120;

const WIDE_COLUMNS = [
  "run",
  "adapter",
  "status",
  "pub msg/s",
  "cons msg/s",
  "cons/group",
  "pub p99 ms",
  "e2e p50 ms",
  "e2e p99 ms",
  "e2e p99.9 ms",
  "e2e max ms",
  "backlog max",
  "warmup lag ms",
  "harness pause ms",
  "lost",
  "dup deliv",
  "dup proc",
  "verdict",
  "why",
] as const;

/** Longest reason `--wide` shows in a row (the note under the table has it whole). */
const WIDE_WHY_CHARS = 70;
/** The narrow table gives the reason at least this much room, wrapping nothing. */
const NARROW_WHY_MIN = 24;

/** Runs that measured something: their figures are shown even when they are not `completed`. */
const MEASURED: ReadonlySet<string> = new Set(["completed", "inconclusive", "interrupted"]);

/** Why a run is not a plain valid completion, in `max` characters at most; "" when it is one. */
function whyCell(r: RunResult, max: number): string {
  let why: string;
  if (r.status === "completed") {
    if (!r.verdict || r.verdict.valid) return "";
    why = "forbidden anomalies (see below)";
  } else {
    why = reasonOf(r);
  }
  return why.length > max ? `${why.slice(0, Math.max(1, max - 1))}…` : why;
}

/** Right-aligned columns (numbers), by header, for every table this module prints. */
const NUMERIC = new Set<string>([
  ...WIDE_COLUMNS.slice(3, 16),
  "pub/s",
  "cons/s",
  "p50 ms",
  "p99 ms",
  "backlog",
  "dup d/p",
]);

function num(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString("en-US");
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** `valid`, `INVALID`, or the status of a run that did not complete (any status a runner writes). */
function verdictCell(r: RunResult): string {
  if (r.status !== "completed") return r.status;
  if (!r.verdict) return r.history ? "unchecked" : "no history";
  return r.verdict.valid ? "valid" : "INVALID";
}

/** Consumed per group, `× N` when several groups each read the stream. */
function perGroup(r: RunResult): string {
  const groups = groupCount(r);
  const each = r.throughput.consumeMsgsPerSec / groups;
  return groups > 1 ? `${num(each)}×${groups}` : num(each);
}

/**
 * The longest the harness's own process stood still in the measured window (event loop or GC):
 * latency of that size may be the harness's, not the broker's. "-" where not measured (workers).
 */
function harnessPause(r: RunResult): string {
  const p = r.harnessPauses;
  return p === undefined ? "-" : num(longestPauseMs(p));
}

/**
 * How far behind schedule a fixed-rate producer was when the warmup ended: a delay the run dropped
 * rather than measured (producer-loop.ts); a large one says the warmup was too short for the
 * system to settle. "-" in results written before it was recorded.
 */
function warmupLag(r: RunResult): string {
  const ms = r.counts.warmupDelayDroppedMs;
  return ms === undefined ? "-" : num(ms);
}

/** Every column, for `--wide`. */
export function summaryRow(r: RunResult): string[] {
  const done = MEASURED.has(r.status);
  const e2e = r.latency.endToEnd.corrected;
  const v = r.verdict;
  const dash = "-";
  return [
    r.runId,
    r.adapter.name,
    r.status,
    done ? num(r.throughput.publishMsgsPerSec) : dash,
    done ? num(r.throughput.consumeMsgsPerSec) : dash,
    done ? perGroup(r) : dash,
    done ? num(r.latency.publish.corrected.p99Ms) : dash,
    done ? num(e2e.p50Ms) : dash,
    done ? num(e2e.p99Ms) : dash,
    done ? num(e2e.p999Ms) : dash,
    done ? num(e2e.maxMs) : dash,
    done ? count(r.backlog.maxMsgs) : dash,
    done ? warmupLag(r) : dash,
    done ? harnessPause(r) : dash,
    v ? count(v.counts.lost) : dash,
    v ? count(v.counts["duplicate-delivery"]) : dash,
    v ? count(v.counts["duplicate-processing"]) : dash,
    verdictCell(r),
    whyCell(r, WIDE_WHY_CHARS),
  ];
}

/** A table with this module's numeric columns right-aligned (table.ts). */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return renderPlainTable(header, rows, NUMERIC);
}

/** Why a run is not a plain valid completion, one line each. */
/** A pipeline run's own figures and computation verdict, one line (its table row shows no messaging figures). */
function pipelineNote(r: RunResult): string | null {
  const p = r.pipeline;
  if (p === undefined) return null;
  const c = p.computation;
  const found =
    c === null
      ? "not judged"
      : `${c.valid ? "valid" : "INVALID"}: ${
          Object.entries(c.counts)
            .filter(([, n]) => n > 0)
            .map(([a, n]) => `${a} ${count(n)}${c.forbidden.includes(a) ? "" : " (allowed)"}`)
            .join(", ") || "no anomaly"
        }; final values +${count(c.excessEvents)}/−${count(c.missingEvents)} events`;
  return `pipeline ${p.mode}: ${num(p.eventsPerSec)} events/s, input → update p99 ${num(p.endToEnd.p99Ms)} ms; computation ${found}`;
}

export function summaryNotes(results: readonly RunResult[]): string[] {
  const notes: string[] = [];
  for (const r of results) {
    const who = `${r.runId} on ${r.adapter.name}`;
    if (r.status !== "completed") {
      notes.push(`${who}: ${r.status}: ${r.reason ?? "no reason given"}`);
      continue;
    }
    const pipeline = pipelineNote(r);
    if (pipeline !== null) notes.push(`${who}: ${pipeline}`);
    const v = r.verdict;
    if (v && !v.valid) {
      const found = ANOMALIES.filter((a) => v.forbidden.includes(a) && v.counts[a] > 0)
        .map((a) => `${a} ${v.counts[a]}`)
        .join(", ");
      notes.push(
        `${who}: INVALID for delivery ${v.expect.delivery}, order ${v.expect.order}: ${found} (see results.json verdict)`,
      );
    }
    const warnings = r.warnings?.length ?? 0;
    if (warnings > 0) notes.push(`${who}: ${warnings} warning(s), see results.json warnings`);
    const undrained = v?.groups.filter((g) => !g.drained).map((g) => g.group) ?? [];
    if (undrained.length > 0)
      notes.push(`${who}: group(s) ${undrained.join(", ")} did not catch up: loss not judged`);
  }
  return notes;
}

/** Breaks `text` at spaces into lines of at most `width`, the ones after the first indented. */
export function wrap(text: string, width: number, indent = "  "): string[] {
  const lead = /^ */.exec(text)?.[0] ?? "";
  const lines: string[] = [];
  let line = lead;
  for (const word of text.slice(lead.length).split(" ")) {
    const candidate = line.trim() === "" ? `${line}${word}` : `${line} ${word}`;
    if (candidate.length <= width || line.trim() === "") {
      line = line.trim() === "" ? `${line}${word}` : candidate;
      continue;
    }
    lines.push(line);
    line = `${indent}${word}`;
  }
  if (line !== "") lines.push(line);
  // A single word longer than the width is cut: the width is a promise.
  return lines.flatMap((l) => (l.length <= width ? [l] : chunk(l, width, indent)));
}

function chunk(line: string, width: number, indent: string): string[] {
  const out = [line.slice(0, width)];
  for (let i = width; i < line.length; i += width - indent.length)
    out.push(indent + line.slice(i, i + width - indent.length));
  return out;
}

/** The matrix dimensions (and the workload when several) whose values tell these runs apart. */
function distinguishing(results: readonly RunResult[]): string[] {
  const keys: string[] = [];
  if (new Set(results.map((r) => r.workload.name)).size > 1) keys.push("workload");
  const matrixKeys = [...new Set(results.flatMap((r) => Object.keys(r.workload.matrix)))];
  for (const k of matrixKeys) {
    if (new Set(results.map((r) => JSON.stringify(r.workload.matrix[k]))).size > 1) keys.push(k);
  }
  return keys;
}

function pointName(r: RunResult, keys: readonly string[]): string {
  return keys.length === 0 ? r.workload.name : keys.map((k) => namedValue(r, k)).join(" ");
}

/** Shortens `s` to `max` characters, keeping both ends (`at-least-once…-crash`). */
function ellipsize(s: string, max: number): string {
  if (s.length <= max) return s;
  const head = Math.ceil((max - 1) / 2);
  return `${s.slice(0, head)}…${s.slice(s.length - (max - 1 - head))}`;
}

interface Column {
  readonly header: string;
  readonly cell: (r: RunResult) => string;
}

function narrowColumns(results: readonly RunResult[], keys: readonly string[]): Column[] {
  const done = (r: RunResult, f: () => string) => (MEASURED.has(r.status) ? f() : "-");
  const e2e = (r: RunResult) => r.latency.endToEnd.corrected;
  const adapters = new Set(results.map((r) => r.adapter.name));
  return [
    { header: "run", cell: (r) => pointName(r, keys) },
    ...(adapters.size > 1 ? [{ header: "adapter", cell: (r: RunResult) => r.adapter.name }] : []),
    { header: "pub/s", cell: (r) => done(r, () => num(r.throughput.publishMsgsPerSec)) },
    { header: "cons/s", cell: (r) => done(r, () => perGroup(r)) },
    { header: "p50 ms", cell: (r) => done(r, () => num(e2e(r).p50Ms)) },
    { header: "p99 ms", cell: (r) => done(r, () => num(e2e(r).p99Ms)) },
    { header: "backlog", cell: (r) => done(r, () => count(r.backlog.maxMsgs)) },
    { header: "lost", cell: (r) => (r.verdict ? count(r.verdict.counts.lost) : "-") },
    {
      header: "dup d/p",
      cell: (r) =>
        r.verdict
          ? `${count(r.verdict.counts["duplicate-delivery"])}/${count(r.verdict.counts["duplicate-processing"])}`
          : "-",
    },
    { header: "verdict", cell: verdictCell },
  ];
}

/** `adapter: reason` carries the adapter's name; the line names it already. */
function reasonOf(r: RunResult): string {
  const reason = r.reason ?? "no reason given";
  const prefix = `${r.adapter.name}: `;
  return reason.startsWith(prefix) ? reason.slice(prefix.length) : reason;
}

/** One line per reason: `push delivery is not supported: redis-streams (every point)`. */
function notSupportedLines(results: readonly RunResult[], keys: readonly string[], width: number): string[] {
  const unsupported = results.filter((r) => r.status === "not-supported");
  if (unsupported.length === 0) return [];
  const byReason = new Map<string, RunResult[]>();
  for (const r of unsupported) byReason.set(reasonOf(r), [...(byReason.get(reasonOf(r)) ?? []), r]);
  const lines = [`not supported (${unsupported.length} of ${results.length} points; --wide lists them):`];
  for (const [reason, runs] of byReason) {
    const adapters = [...new Set(runs.map((r) => r.adapter.name))].map((a) => {
      const these = runs.filter((r) => r.adapter.name === a);
      const all = results.filter((r) => r.adapter.name === a).length;
      if (these.length === all && all > 1) return `${a} (every point)`;
      if (these.length <= 2) return `${a} (${these.map((r) => pointName(r, keys)).join("; ")})`;
      return `${a} (${these.length} points)`;
    });
    lines.push(...wrap(`  ${reason}: ${adapters.join(", ")}`, width, "    "));
  }
  return lines;
}

/**
 * The notes under the narrow table: what did not complete and why, what is invalid and why, groups
 * not judged; runs named as in the table. Warnings are counted in one line (results.json has them).
 */
function narrowNotes(results: readonly RunResult[], keys: readonly string[]): string[] {
  const notes: string[] = [];
  const adapters = new Set(results.map((r) => r.adapter.name)).size;
  const who = (r: RunResult) =>
    adapters > 1 ? `${pointName(r, keys)} on ${r.adapter.name}` : pointName(r, keys);
  for (const r of results) {
    if (r.status === "not-supported") continue;
    if (r.status !== "completed") {
      notes.push(`${who(r)}: ${r.status}: ${r.reason ?? "no reason given"}`);
      continue;
    }
    const pipeline = pipelineNote(r);
    if (pipeline !== null) notes.push(`${who(r)}: ${pipeline}`);
    const v = r.verdict;
    if (v && !v.valid) {
      const found = ANOMALIES.filter((a) => v.forbidden.includes(a) && v.counts[a] > 0)
        .map((a) => `${a} ${count(v.counts[a])}`)
        .join(", ");
      notes.push(`${who(r)}: INVALID for delivery ${v.expect.delivery}, order ${v.expect.order}: ${found}`);
    }
    const undrained = v?.groups.filter((g) => !g.drained).map((g) => g.group) ?? [];
    if (undrained.length > 0)
      notes.push(`${who(r)}: group(s) ${undrained.join(", ")} did not catch up: loss not judged`);
  }
  const warned = results.filter((r) => (r.warnings?.length ?? 0) > 0);
  if (warned.length > 0) {
    const total = warned.reduce((n, r) => n + (r.warnings?.length ?? 0), 0);
    notes.push(
      `${warned.length} run${warned.length === 1 ? "" : "s"} with warnings (${count(total)} in all): see results.json \`warnings\``,
    );
  }
  return notes;
}

export interface SummaryOptions {
  /** Every column and a row per point, however wide (`run --wide`). */
  readonly wide?: boolean;
  /** Columns available (default 120). */
  readonly width?: number;
}

function renderWide(results: readonly RunResult[]): string {
  const table = renderTable(WIDE_COLUMNS, results.map(summaryRow));
  const legend =
    "latency from the intended send time (coordinated omission corrected); figures exclude warmup; " +
    "cons msg/s sums the groups, cons/group is per group; warmup lag: how far behind schedule the producers were " +
    "when the warmup ended (dropped, not measured); dup deliv / dup proc: duplicate deliveries / duplicate processing";
  return [table, "", legend, ...summaryNotes(results)].join("\n");
}

function renderNarrow(results: readonly RunResult[], width: number): string {
  const keys = distinguishing(results);
  const shown = results.filter((r) => r.status !== "not-supported");
  let columns = narrowColumns(results, keys);
  const table = (cols: readonly Column[], runWidth: number) =>
    renderTable(
      cols.map((c) => c.header),
      shown.map((r) => cols.map((c) => (c.header === "run" ? ellipsize(c.cell(r), runWidth) : c.cell(r)))),
    );
  const widest = (text: string) => Math.max(...text.split("\n").map((l) => l.length));
  // The run names give way first (down to 16 characters), then the backlog, then publish rate.
  let runWidth = Math.max(3, ...shown.map((r) => pointName(r, keys).length));
  let out = table(columns, runWidth);
  for (const drop of [null, "backlog", "pub/s"]) {
    if (drop !== null) columns = columns.filter((c) => c.header !== drop);
    out = table(columns, runWidth);
    if (widest(out) > width) {
      runWidth = Math.max(16, runWidth - (widest(out) - width));
      out = table(columns, runWidth);
    }
    if (widest(out) <= width) break;
  }
  // Why a run is not a plain completion, at the end of its row, in the room that is left (the run
  // names give some up for it, down to 16 characters); the note under the table has it whole.
  if (shown.some((r) => whyCell(r, Number.POSITIVE_INFINITY) !== "")) {
    const short = widest(out) + 2 + NARROW_WHY_MIN - width;
    if (short > 0) {
      runWidth = Math.max(16, runWidth - short);
      out = table(columns, runWidth);
    }
    const room = width - widest(out) - 2;
    if (room >= "why".length) {
      columns = [...columns, { header: "why", cell: (r) => whyCell(r, room) }];
      out = table(columns, runWidth);
    }
  }
  const workloads = [...new Set(results.map((r) => r.workload.name))];
  const heading = `${workloads.join(", ")}: ${results.length} run${results.length === 1 ? "" : "s"}`;
  const legend =
    "ms: end-to-end latency from the intended send time (corrected); figures exclude warmup; cons/s per consumer " +
    "group (×N: N groups each read every message); dup d/p: duplicate deliveries / duplicate processing";
  const notes = narrowNotes(results, keys);
  return [
    heading,
    ...(shown.length > 0 ? [out] : ["no run ran"]),
    "",
    ...wrap(legend, width, ""),
    ...notSupportedLines(results, keys, width),
    ...notes.flatMap((n) => wrap(n, width)),
  ].join("\n");
}

export function renderSummary(results: readonly RunResult[], options: SummaryOptions = {}): string {
  return options.wide ? renderWide(results) : renderNarrow(results, options.width ?? SUMMARY_WIDTH);
}
