/**
 * report.md: the headlines, the tables and links to the chart images, for pasting into an issue or
 * a pull request. Input strings are escaped per cell; marks become words, not colours; a run named
 * in a headline links to its results.json.
 */
import { regressions } from "./compare.js";
import { escapeMarkdownCell } from "./escape.js";
import { measured, type ReportRun, runLabels } from "./figures.js";
import { comparisonHeadlines, type Headline, headlines } from "./headlines.js";
import type { ReportModel } from "./html.js";
import { chooseLayout } from "./layout.js";
import { OMB_LATENCY_NOTE } from "./omb.js";
import {
  differencesTable,
  ratioTable,
  runsTable,
  supportTable,
  type Table,
  verdictChangesTable,
  verdictTable,
} from "./tables.js";

function tableMd(t: Table): string {
  const head = `| ${t.header.map(escapeMarkdownCell).join(" | ")} |`;
  const rule = `|${t.header.map((_, i) => (t.rows.some((r) => r[i]?.num) ? " ---: " : " --- ")).join("|")}|`;
  const rows = t.rows.map((row) => {
    const cells = row.map((c) => {
      const text = escapeMarkdownCell(c.text);
      return c.mark === "bad" ? `**${text}**` : c.mark === "note" ? `_${text}_` : text;
    });
    return `| ${cells.join(" | ")} |`;
  });
  return [head, rule, ...rows].join("\n");
}

function headlineMd(h: Headline, href: (r: ReportRun) => string | null): string {
  const body = h.parts
    .map((p) => {
      if ("caveat" in p) return `**${escapeMarkdownCell(p.caveat)}**`;
      if ("run" in p) {
        const target = href(p.run);
        return target ? `[${escapeMarkdownCell(p.text)}](${encodeURI(target)})` : escapeMarkdownCell(p.text);
      }
      return escapeMarkdownCell(p.text);
    })
    .join("");
  const line = `**${escapeMarkdownCell(h.label)}:** ${body}`;
  return `- ${h.tone === "alarm" ? `⚠ ${line}` : line}`;
}

export function reportMarkdown(m: ReportModel): string {
  const multiSet = m.sets.length > 1;
  const labels = runLabels(m.runs);
  const name = (r: ReportRun) => labels.get(r) ?? r.result.runId;
  const href = (r: ReportRun) => m.resultsHref?.(r) ?? null;
  const workloads = [...new Set(m.runs.map((r) => r.result.workload.name))];
  const ordered = chooseLayout(measured(m.runs)).sort(m.runs);
  const out: string[] = [
    `# ${escapeMarkdownCell(workloads.join(", ") || "brokerbench")}: brokerbench report`,
    "",
  ];
  out.push(
    `Generated ${m.generatedAt}; ${m.sets.map((s) => `${escapeMarkdownCell(s.label)}: ${s.runs.length} runs`).join(", ")}.`,
    "",
  );
  out.push("## Summary", "");
  for (const h of [
    ...m.comparisons.flatMap(comparisonHeadlines),
    ...headlines(m.runs, name, { multiSet, searches: m.sets.flatMap((s) => s.searches ?? []) }),
  ])
    out.push(headlineMd(h, href));
  out.push("");
  for (const c of m.comparisons) {
    const worse = regressions(c);
    out.push(`## Comparison: ${escapeMarkdownCell(c.newLabel)} vs ${escapeMarkdownCell(c.oldLabel)}`, "");
    out.push(
      `${c.matched} runs matched by workload, matrix point and adapter; flagged past ${(c.tolerance * 100).toFixed(0)} % and ` +
        `${c.absTolerance.ms} ms / ${c.absTolerance["msg/s"]} msg/s / ${c.absTolerance.msgs} msgs.`,
      "",
    );
    out.push("### What differs", "");
    out.push(c.differences.length === 0 ? "Nothing." : tableMd(differencesTable(c)), "");
    if (c.verdictChanges.length > 0)
      out.push("### Verdicts that changed", "", tableMd(verdictChangesTable(c)), "");
    out.push(
      worse.length === 0
        ? "No figure worse past both tolerances."
        : `⚠ **${worse.length} figures worse past both tolerances** (bold below).`,
      "",
    );
    // Only what moved: a pull request comment stays short; report.html has every figure.
    const moved = c.rows.filter((r) => r.change === "worse" || r.change === "better");
    if (moved.length > 0)
      out.push(tableMd(ratioTable(c, (r) => r.change === "worse" || r.change === "better")), "");
    if (c.rows.length > moved.length)
      out.push(`${c.rows.length - moved.length} figures within the tolerances or as offered.`, "");
    if (c.onlyOld.length > 0)
      out.push(
        `Only in ${escapeMarkdownCell(c.oldLabel)}: ${c.onlyOld.map(escapeMarkdownCell).join("; ")}`,
        "",
      );
    if (c.onlyNew.length > 0)
      out.push(
        `Only in ${escapeMarkdownCell(c.newLabel)}: ${c.onlyNew.map(escapeMarkdownCell).join("; ")}`,
        "",
      );
  }
  out.push(
    "## Runs",
    "",
    "Latencies from the intended send time (corrected for coordinated omission); consumed msg/s per consumer group.",
    "",
    tableMd(runsTable(ordered, name)),
    "",
  );
  if (m.runs.some((r) => r.result.status === "not-supported")) {
    const support = supportTable(m.runs);
    out.push("### What ran where", "", tableMd(support.table), "");
    out.push(...support.reasons.map(([mark, reason]) => `- **${mark}**: ${escapeMarkdownCell(reason)}`), "");
  }
  const verdicts = verdictTable(ordered, name);
  if (verdicts.rows.length > 0)
    out.push(
      "## Delivery verdicts",
      "",
      "_(allowed)_: found, but the expectation allows it.",
      "",
      tableMd(verdicts),
      "",
    );
  if (m.charts.length > 0) {
    out.push("## Charts", "");
    for (const c of m.charts) {
      const image = c.files.find((f) => f.endsWith(".png")) ?? c.files.find((f) => f.endsWith(".svg"));
      out.push(image ? `![${c.def.title}](${encodeURI(image)})` : `${c.def.title}: see report.html`, "");
    }
  }
  if (m.ombFiles.length > 0) {
    out.push("## OpenMessaging Benchmark export", "", OMB_LATENCY_NOTE, "");
    for (const f of m.ombFiles) out.push(`- [${escapeMarkdownCell(f)}](${encodeURI(f)})`);
    out.push("");
  }
  return out.join("\n");
}
