/**
 * The report's tables as plain data (header + rows of text cells with a mark), built once and
 * written by both report.html and report.md.
 */
import type { Anomaly, AnomalyFinding, Verdict } from "../checkers/verdict.js";
import type { RunResult } from "../core/results.js";
import type { Comparison, RatioRow } from "./compare.js";
import { anomalySummary, dimensions, fmtMs, fmtRate, type ReportRun, tailBlown } from "./figures.js";

/** `bad`: a failed verdict, a regression, an error; `good`: an improvement; `warn`: worth a look. */
export type Mark = "bad" | "good" | "warn" | null;

export interface Cell {
  readonly text: string;
  readonly mark?: Mark;
  /** Right-aligned (numbers). */
  readonly num?: boolean;
}

export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** A row's mark (the whole row highlighted). */
  readonly rowMarks: readonly Mark[];
}

const cell = (text: string, mark: Mark = null): Cell => ({ text, mark });
const numCell = (text: string, mark: Mark = null): Cell => ({ text, mark, num: true });

export function runName(r: ReportRun, multiSet: boolean): string {
  return multiSet ? `${r.set}: ${r.result.runId}` : r.result.runId;
}

function matrixText(r: RunResult): string {
  const entries = Object.entries(r.workload.matrix);
  return entries.length === 0
    ? "-"
    : [...dimensions(r)]
        .filter(([k]) => k in r.workload.matrix)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ");
}

/** One row per run: its status, throughput, latency and verdict at a glance. */
export function runsTable(runs: readonly ReportRun[], multiSet: boolean): Table {
  const header = [
    "run",
    "status",
    "adapter",
    "matrix",
    "published msg/s",
    "consumed msg/s",
    "e2e p50",
    "e2e p99",
    "e2e p99.9",
    "e2e max",
    "publish p99",
    "max backlog",
    "verdict",
  ];
  const rows: Cell[][] = [];
  const rowMarks: Mark[] = [];
  for (const run of runs) {
    const r = run.result;
    const verdictMark: Mark = r.verdict === null ? null : r.verdict.valid ? "good" : "bad";
    const verdictText =
      r.verdict === null ? "not checked" : r.verdict.valid ? "valid" : `INVALID: ${anomalySummary(r)}`;
    if (r.status !== "completed") {
      rows.push([
        cell(runName(run, multiSet)),
        cell(`${r.status}: ${r.reason ?? "no reason given"}`, r.status === "error" ? "bad" : "warn"),
        cell(r.adapter.name),
        cell(matrixText(r)),
        ...Array.from({ length: 8 }, () => numCell("-")),
        cell(verdictText, verdictMark),
      ]);
      rowMarks.push(r.status === "error" ? "bad" : "warn");
      continue;
    }
    const e = r.latency.endToEnd.corrected;
    const tailMark: Mark = tailBlown(r) ? "warn" : null;
    rows.push([
      cell(runName(run, multiSet)),
      cell(r.status),
      cell(r.adapter.name),
      cell(matrixText(r)),
      numCell(fmtRate(r.throughput.publishMsgsPerSec)),
      numCell(fmtRate(r.throughput.consumeMsgsPerSec)),
      numCell(fmtMs(e.p50Ms)),
      numCell(fmtMs(e.p99Ms)),
      numCell(fmtMs(e.p999Ms), tailMark),
      numCell(fmtMs(e.maxMs), tailMark),
      numCell(fmtMs(r.latency.publish.corrected.p99Ms)),
      numCell(r.backlog.maxMsgs.toLocaleString("en-US")),
      cell(verdictText, verdictMark),
    ]);
    rowMarks.push(r.verdict?.valid === false ? "bad" : null);
  }
  return { header, rows, rowMarks };
}

const DUPLICATES: readonly Anomaly[] = ["duplicate-delivery", "duplicate-processing", "duplicate-write"];
const ORDER: readonly Anomaly[] = [
  "key-order",
  "total-order",
  "causal",
  "nonmonotonic-poll",
  "nonmonotonic-send",
  "poll-skip",
];
const OTHER: readonly Anomaly[] = ["unexpected", "aborted-read", "inconsistent-offset"];

function countCell(v: Verdict, kinds: readonly Anomaly[]): Cell {
  const parts = kinds.filter((k) => (v.counts[k] ?? 0) > 0).map((k) => `${k} ${v.counts[k]}`);
  const total = kinds.reduce((s, k) => s + (v.counts[k] ?? 0), 0);
  if (total === 0) return numCell("0");
  // Present but allowed by the expectation (duplicates under at-least-once): worth a look, not a failure.
  const forbidden = kinds.some((k) => (v.counts[k] ?? 0) > 0 && v.forbidden.includes(k));
  return numCell(kinds.length === 1 ? String(total) : parts.join(", "), forbidden ? "bad" : "warn");
}

/** Delivery verdicts: lost / duplicate / order anomalies per run, invalid runs marked. */
export function verdictTable(runs: readonly ReportRun[], multiSet: boolean): Table {
  const header = [
    "run",
    "expectation",
    "verdict",
    "lost",
    "duplicates",
    "order",
    "other",
    "attempted",
    "acked",
    "failed",
    "unknown",
  ];
  const rows: Cell[][] = [];
  const rowMarks: Mark[] = [];
  for (const run of runs) {
    const v = run.result.verdict;
    if (v === null) continue;
    rows.push([
      cell(runName(run, multiSet)),
      cell(`${v.expect.delivery}, order ${v.expect.order}`),
      cell(v.valid ? "valid" : "INVALID", v.valid ? "good" : "bad"),
      countCell(v, ["lost"]),
      countCell(v, DUPLICATES),
      countCell(v, ORDER),
      countCell(v, OTHER),
      numCell(String(v.messages.attempted)),
      numCell(String(v.messages.acknowledged)),
      numCell(String(v.messages.failed)),
      numCell(String(v.messages.unknown), v.messages.unknown > 0 ? "warn" : null),
    ]);
    rowMarks.push(v.valid ? null : "bad");
  }
  return { header, rows, rowMarks };
}

export interface WitnessGroup {
  readonly run: string;
  readonly scope: string;
  readonly anomaly: string;
  readonly forbidden: boolean;
  readonly finding: AnomalyFinding;
}

/** Every anomaly found, with its witnesses, forbidden ones (the reason a verdict failed) first. */
export function witnessGroups(runs: readonly ReportRun[], multiSet: boolean): WitnessGroup[] {
  const out: WitnessGroup[] = [];
  for (const run of runs) {
    const v = run.result.verdict;
    if (!v) continue;
    const scopes: [string, Readonly<Partial<Record<Anomaly, AnomalyFinding>>>][] = [
      ["log", v.log],
      ...v.groups.map((g): [string, Readonly<Partial<Record<Anomaly, AnomalyFinding>>>] => [
        `group ${g.group}`,
        g.anomalies,
      ]),
    ];
    for (const [scope, anomalies] of scopes) {
      for (const [anomaly, finding] of Object.entries(anomalies)) {
        if (!finding || finding.count === 0) continue;
        out.push({
          run: runName(run, multiSet),
          scope,
          anomaly,
          forbidden: v.forbidden.includes(anomaly as Anomaly),
          finding,
        });
      }
    }
  }
  return out.sort((a, b) => Number(b.forbidden) - Number(a.forbidden));
}

function fmtFigure(v: number, unit: string): string {
  return unit === "ms" ? fmtMs(v) : `${fmtRate(v)} ${unit}`;
}

/** new/old per figure, regressions beyond the tolerance marked. */
export function ratioTable(c: Comparison, only?: (r: RatioRow) => boolean): Table {
  const header = ["run", "figure", c.oldLabel, c.newLabel, "new/old", "change"];
  const rows: Cell[][] = [];
  const rowMarks: Mark[] = [];
  for (const r of only ? c.rows.filter(only) : c.rows) {
    const mark: Mark = r.change === "worse" ? "bad" : r.change === "better" ? "good" : null;
    rows.push([
      cell(r.runId),
      cell(r.figure),
      numCell(fmtFigure(r.old, r.unit)),
      numCell(fmtFigure(r.new, r.unit)),
      numCell(r.ratio === null ? "-" : `${r.ratio.toFixed(2)}×`, mark),
      cell(r.change, mark),
    ]);
    rowMarks.push(r.change === "worse" ? "bad" : null);
  }
  return { header, rows, rowMarks };
}
