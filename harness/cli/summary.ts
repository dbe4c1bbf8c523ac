/**
 * The summary table `brokerbench run` prints: one row per run, figures after warmup, latencies
 * from the intended send time (coordinated-omission corrected), why a run is not a plain completion
 * at the end of its row (shortened), then one line per run that did not complete or was judged
 * invalid, saying why in full.
 */
import { ANOMALIES } from "../../checkers/verdict.js";
import type { RunResult } from "../../core/results.js";

const COLUMNS = [
  "run",
  "adapter",
  "status",
  "pub msg/s",
  "cons msg/s",
  "pub p99 ms",
  "e2e p50 ms",
  "e2e p99 ms",
  "e2e p99.9 ms",
  "e2e max ms",
  "backlog max",
  "lost",
  "dup",
  "verdict",
  "why",
] as const;

/** Longest reason shown in the row (the note under the table has it whole). */
const WHY_CHARS = 70;

/** Right-aligned columns (numbers). */
const NUMERIC = new Set<string>(COLUMNS.slice(3, 13));

function num(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString("en-US");
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function verdictCell(r: RunResult): string {
  if (r.status === "inconclusive") return "no evidence";
  if (r.status !== "completed") return "-";
  if (!r.verdict) return r.history ? "unchecked" : "no history";
  return r.verdict.valid ? "valid" : "INVALID";
}

function whyCell(r: RunResult): string {
  if (r.status === "completed") return r.verdict && !r.verdict.valid ? "forbidden anomalies (below)" : "";
  const why = r.reason ?? "no reason given";
  return why.length > WHY_CHARS ? `${why.slice(0, WHY_CHARS - 1)}…` : why;
}

/** Runs that measured something: their figures are shown even when they are not `completed`. */
const MEASURED = new Set(["completed", "inconclusive", "interrupted"]);

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
    done ? num(r.latency.publish.corrected.p99Ms) : dash,
    done ? num(e2e.p50Ms) : dash,
    done ? num(e2e.p99Ms) : dash,
    done ? num(e2e.p999Ms) : dash,
    done ? num(e2e.maxMs) : dash,
    done ? String(r.backlog.maxMsgs) : dash,
    v ? String(v.counts.lost) : dash,
    v ? String(v.counts["duplicate-delivery"]) : dash,
    verdictCell(r),
    whyCell(r),
  ];
}

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => (NUMERIC.has(header[i] ?? "") ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)].join("\n");
}

/** Why a run is not a plain valid completion, one line each. */
export function summaryNotes(results: readonly RunResult[]): string[] {
  const notes: string[] = [];
  for (const r of results) {
    const who = `${r.runId} on ${r.adapter.name}`;
    if (r.status !== "completed") {
      notes.push(`${who}: ${r.status}: ${r.reason ?? "no reason given"}`);
      continue;
    }
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

export function renderSummary(results: readonly RunResult[]): string {
  const table = renderTable(COLUMNS, results.map(summaryRow));
  const notes = summaryNotes(results);
  const legend =
    "latency from the intended send time (coordinated omission corrected); figures exclude warmup; " +
    "cons msg/s sums the groups";
  return [table, "", legend, ...notes].join("\n");
}
