/**
 * The report's tables as plain data (header + rows of text cells with a mark), built once and
 * written by both report.html and report.md.
 */
import type { Anomaly, AnomalyFinding, Verdict } from "../checkers/verdict.js";
import type { Comparison, RatioRow } from "./compare.js";
import {
  fmtCount,
  fmtMs,
  fmtRate,
  fmtRatio,
  forbiddenSummary,
  keeping,
  pointText,
  type ReportRun,
  tailBlown,
  variedDimensions,
} from "./figures.js";

/**
 * `bad`: a failed verdict, a regression, an error; `good`: valid, an improvement; `warn`: worth a
 * look (did not keep up, did not finish); `note`: context a reader may skip (an anomaly the
 * expectation allows), shown muted, never as an alarm.
 */
export type Mark = "bad" | "good" | "warn" | "note" | null;

export interface Cell {
  readonly text: string;
  readonly mark?: Mark;
  /** Right-aligned (numbers). */
  readonly num?: boolean;
  /** A link target for the cell's text (relative to the report). */
  readonly href?: string;
}

export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** A row's mark (the whole row highlighted). */
  readonly rowMarks: readonly Mark[];
  /** The run each row shows, for anchors and links; absent for tables not about runs. */
  readonly rowRuns?: readonly (ReportRun | null)[];
}

const cell = (text: string, mark: Mark = null): Cell => ({ text, mark });
const numCell = (text: string, mark: Mark = null): Cell => ({ text, mark, num: true });

function resultCell(run: ReportRun): Cell {
  const r = run.result;
  if (r.status !== "completed") {
    return cell(`${r.status}: ${r.reason ?? "no reason given"}`, r.status === "error" ? "bad" : "warn");
  }
  if (!r.verdict) return cell(r.history ? "not checked" : "no history", "note");
  return r.verdict.valid ? cell("valid", "good") : cell(`INVALID: ${forbiddenSummary(r)}`, "bad");
}

function countOf(v: Verdict | null | undefined, a: Anomaly): number {
  return v?.counts[a] ?? 0;
}

/** A count the expectation forbids is red; an allowed one is plain (it is a figure, not a finding). */
function anomalyCell(v: Verdict | null | undefined, a: Anomaly): Cell {
  if (!v) return numCell("-");
  const n = countOf(v, a);
  return numCell(fmtCount(n), n > 0 && v.forbidden.includes(a) ? "bad" : null);
}

/**
 * One row per run that ran (not-supported points are collapsed into `notSupportedTable`):
 * throughput achieved against offered, whether it was sustained, latency, loss and duplicates.
 */
export function runsTable(runs: readonly ReportRun[], name: (r: ReportRun) => string): Table {
  const header = [
    "run",
    "result",
    "offered msg/s",
    "published msg/s",
    "consumed msg/s per group",
    "sustained",
    "e2e p50",
    "e2e p99",
    "e2e p99.9",
    "e2e max",
    "publish p99",
    "max backlog",
    "lost",
    "delivered twice",
    "processed twice",
  ];
  const rows: Cell[][] = [];
  const rowMarks: Mark[] = [];
  const rowRuns: ReportRun[] = [];
  for (const run of runs) {
    const r = run.result;
    if (r.status === "not-supported") continue;
    rowRuns.push(run);
    const hasFigures = r.status === "completed" || (r.timeseries?.length ?? 0) > 0;
    if (!hasFigures) {
      rows.push([cell(name(run)), resultCell(run), ...Array.from({ length: 13 }, () => numCell("-"))]);
      rowMarks.push(r.status === "error" ? "bad" : "warn");
      continue;
    }
    const e = r.latency.endToEnd.corrected;
    const k = keeping(r);
    // A long tail is expected where faults were injected: only flagged where none were.
    const tailMark: Mark = tailBlown(r) && (r.faults ?? []).length === 0 ? "warn" : null;
    rows.push([
      cell(name(run)),
      resultCell(run),
      numCell(k.offered === null ? "max" : fmtRate(k.offered)),
      numCell(fmtRate(k.published)),
      numCell(`${fmtRate(k.consumedPerGroup)}${k.groups > 1 ? ` × ${k.groups}` : ""}`),
      k.sustained ? cell("yes") : cell(`no: ${k.shortfall ?? r.status}`, "warn"),
      numCell(e.count > 0 ? fmtMs(e.p50Ms) : "-"),
      numCell(e.count > 0 ? fmtMs(e.p99Ms) : "-"),
      numCell(e.count > 0 ? fmtMs(e.p999Ms) : "-", tailMark),
      numCell(e.count > 0 ? fmtMs(e.maxMs) : "-", tailMark),
      numCell(fmtMs(r.latency.publish.corrected.p99Ms)),
      numCell(fmtCount(r.backlog.maxMsgs)),
      anomalyCell(r.verdict, "lost"),
      anomalyCell(r.verdict, "duplicate-delivery"),
      anomalyCell(r.verdict, "duplicate-processing"),
    ]);
    rowMarks.push(r.verdict?.valid === false || r.status === "error" ? "bad" : null);
  }
  return { header, rows, rowMarks, rowRuns };
}

/** `adapter: reason` prefixes the adapter's own name; the table already has it. */
function reasonText(run: ReportRun): string {
  const reason = run.result.reason ?? "no reason given";
  const prefix = `${run.result.adapter.name}: `;
  return reason.startsWith(prefix) ? reason.slice(prefix.length) : reason;
}

/** Footnote marks for reasons: a, b, … z, then aa, ab, … */
function footnote(i: number): string {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  return i < letters.length
    ? (letters[i] as string)
    : `${footnote(Math.floor(i / letters.length) - 1)}${letters[i % letters.length]}`;
}

export interface SupportTable {
  readonly table: Table;
  /** `a` → the reason it stands for, in the order first used. */
  readonly reasons: readonly (readonly [string, string])[];
}

/**
 * What ran where, one compact grid instead of a tall row per point an adapter cannot do: a row per
 * matrix point, a column per adapter, `ran` where it ran (its status when not completed) and a
 * footnote letter where it was not supported, the letters explained below the grid.
 */
export function supportTable(runs: readonly ReportRun[]): SupportTable {
  const multiSet = new Set(runs.map((r) => r.set)).size > 1;
  const keys = variedDimensions(runs).filter((k) => k !== "adapter");
  const byValues = (r: ReportRun) =>
    [multiSet ? r.set : "", pointText(r.result, keys.length > 0 ? keys : ["workload"])]
      .filter((x) => x !== "")
      .join(": ");
  // Runs of one adapter the values do not tell apart (a workload given twice, runs without a
  // matrix) keep their run ids.
  const clash = new Map<string, number>();
  for (const r of runs) {
    const k = `${byValues(r)}\u0000${r.result.adapter.name}`;
    clash.set(k, (clash.get(k) ?? 0) + 1);
  }
  const pointOf = (r: ReportRun) =>
    (clash.get(`${byValues(r)}\u0000${r.result.adapter.name}`) ?? 0) > 1
      ? [multiSet ? r.set : "", r.result.runId].filter((x) => x !== "").join(": ")
      : byValues(r);
  const adapters = [...new Set(runs.map((r) => r.result.adapter.name))];
  const points = [...new Set(runs.map(pointOf))];
  const reasons = new Map<string, string>();
  const rows: Cell[][] = points.map((point) => [
    cell(point),
    ...adapters.map((adapter) => {
      const run = runs.find((r) => pointOf(r) === point && r.result.adapter.name === adapter);
      if (!run) return cell("");
      const status = run.result.status;
      if (status === "completed") {
        const v = run.result.verdict;
        return v && !v.valid ? cell("INVALID", "bad") : cell("ran", "good");
      }
      if (status !== "not-supported") return cell(status, status === "error" ? "bad" : "warn");
      const reason = reasonText(run);
      if (!reasons.has(reason)) reasons.set(reason, footnote(reasons.size));
      return cell(reasons.get(reason) as string, "note");
    }),
  ]);
  return {
    table: { header: ["point", ...adapters], rows, rowMarks: rows.map(() => null) },
    reasons: [...reasons].map(([reason, mark]) => [mark, reason] as const),
  };
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

/**
 * Forbidden findings are red; findings the expectation allows (causal on a partition-order run,
 * duplicates under at-least-once) are context, muted and labelled so.
 */
function countCell(v: Verdict, kinds: readonly Anomaly[]): Cell {
  const present = kinds.filter((k) => (v.counts[k] ?? 0) > 0);
  if (present.length === 0) return numCell("0");
  const forbidden = present.filter((k) => v.forbidden.includes(k));
  const allowed = present.filter((k) => !v.forbidden.includes(k));
  const fmt = (k: Anomaly) => (kinds.length === 1 ? fmtCount(v.counts[k]) : `${k} ${fmtCount(v.counts[k])}`);
  const parts = [...forbidden.map(fmt), ...allowed.map((k) => `${fmt(k)} (allowed)`)];
  const mark: Mark = forbidden.length > 0 ? "bad" : "note";
  // A bare count aligns as a number; named findings are text that may wrap.
  return kinds.length === 1 ? numCell(parts.join(", "), mark) : cell(parts.join(", "), mark);
}

/** Delivery verdicts: lost / duplicate / order anomalies per run, invalid runs marked. */
export function verdictTable(runs: readonly ReportRun[], name: (r: ReportRun) => string): Table {
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
    "unknown outcome",
  ];
  const rows: Cell[][] = [];
  const rowMarks: Mark[] = [];
  const rowRuns: ReportRun[] = [];
  for (const run of runs) {
    const v = run.result.verdict;
    if (!v) continue;
    rowRuns.push(run);
    rows.push([
      cell(name(run)),
      cell(`${v.expect.delivery}, order ${v.expect.order}`),
      cell(v.valid ? "valid" : "INVALID", v.valid ? "good" : "bad"),
      countCell(v, ["lost"]),
      countCell(v, DUPLICATES),
      countCell(v, ORDER),
      countCell(v, OTHER),
      numCell(fmtCount(v.messages.attempted)),
      numCell(fmtCount(v.messages.acknowledged)),
      numCell(fmtCount(v.messages.failed)),
      numCell(fmtCount(v.messages.unknown), v.messages.unknown > 0 ? "note" : null),
    ]);
    rowMarks.push(v.valid ? null : "bad");
  }
  return { header, rows, rowMarks, rowRuns };
}

export interface WitnessGroup {
  readonly run: ReportRun;
  readonly scope: string;
  readonly anomaly: string;
  readonly forbidden: boolean;
  readonly finding: AnomalyFinding;
}

/** Every anomaly found, with its witnesses, forbidden ones (the reason a verdict failed) first. */
export function witnessGroups(runs: readonly ReportRun[]): WitnessGroup[] {
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
      for (const [anomaly, finding] of Object.entries(anomalies ?? {})) {
        if (!finding || finding.count === 0) continue;
        out.push({ run, scope, anomaly, forbidden: v.forbidden.includes(anomaly as Anomaly), finding });
      }
    }
  }
  return out.sort((a, b) => Number(b.forbidden) - Number(a.forbidden));
}

function fmtFigure(v: number, unit: string): string {
  if (unit === "ms") return fmtMs(v);
  return `${unit === "msg/s" ? fmtRate(v) : fmtCount(v)} ${unit}`;
}

/** new/old per figure, changes past both tolerances marked. */
export function ratioTable(c: Comparison, only?: (r: RatioRow) => boolean): Table {
  const shown = only ? c.rows.filter(only) : c.rows;
  const notes = shown.some((r) => r.note !== null);
  const header = ["run", "figure", c.oldLabel, c.newLabel, "new/old", "change", ...(notes ? ["note"] : [])];
  const rows: Cell[][] = [];
  const rowMarks: Mark[] = [];
  for (const r of shown) {
    const mark: Mark = r.change === "worse" ? "bad" : r.change === "better" ? "good" : null;
    rows.push([
      cell(r.point),
      cell(r.figure),
      numCell(fmtFigure(r.old, r.unit)),
      numCell(fmtFigure(r.new, r.unit)),
      numCell(r.ratio === null ? "-" : fmtRatio(r.ratio), mark),
      cell(r.change, mark),
      ...(notes ? [cell(r.note ?? "", r.note ? "note" : null)] : []),
    ]);
    rowMarks.push(r.change === "worse" ? "bad" : null);
  }
  return { header, rows, rowMarks };
}

/** Every parameter that differs between the sets, with both values and the runs they hold for. */
export function differencesTable(c: Comparison): Table {
  const rows: Cell[][] = [];
  for (const d of c.differences) {
    for (const v of d.values) {
      rows.push([
        cell(d.name),
        cell(v.old),
        cell(v.new),
        cell(v.points.length === c.matched ? `all ${c.matched}` : v.points.join("; ")),
      ]);
    }
  }
  return { header: ["parameter", c.oldLabel, c.newLabel, "runs"], rows, rowMarks: rows.map(() => null) };
}

export function verdictChangesTable(c: Comparison): Table {
  const rows = c.verdictChanges.map((v) => {
    const mark: Mark = v.change === "worse" ? "bad" : v.change === "better" ? "good" : null;
    return [cell(v.point), cell(v.old), cell(v.new, mark), cell(v.change, mark)];
  });
  return {
    header: ["run", `verdict in ${c.oldLabel}`, `verdict in ${c.newLabel}`, "change"],
    rows,
    rowMarks: c.verdictChanges.map((v) => (v.change === "worse" ? "bad" : null)),
  };
}
