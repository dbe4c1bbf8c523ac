/**
 * report.md: the summary, the tables and links to the chart images, for pasting into an issue or
 * a pull request. Input strings are escaped per cell; marks become words, not colours.
 */
import { regressions } from "./compare.js";
import { escapeMarkdownCell } from "./escape.js";
import { headlines } from "./figures.js";
import type { ReportModel } from "./html.js";
import { ratioTable, runsTable, type Table, verdictTable } from "./tables.js";

function tableMd(t: Table): string {
  const head = `| ${t.header.map(escapeMarkdownCell).join(" | ")} |`;
  const rule = `|${t.header.map((_, i) => (t.rows.some((r) => r[i]?.num) ? " ---: " : " --- ")).join("|")}|`;
  const rows = t.rows.map((row) => {
    const cells = row.map((c) => {
      const text = escapeMarkdownCell(c.text);
      return c.mark === "bad" ? `**${text}**` : text;
    });
    return `| ${cells.join(" | ")} |`;
  });
  return [head, rule, ...rows].join("\n");
}

export function reportMarkdown(m: ReportModel): string {
  const multiSet = m.sets.length > 1;
  const out: string[] = ["# brokerbench report", ""];
  out.push(
    `Generated ${m.generatedAt}; ${m.sets.map((s) => `${escapeMarkdownCell(s.label)}: ${s.runs.length} runs`).join(", ")}.`,
    "",
  );
  out.push("## Summary", "");
  for (const h of headlines(m.runs, multiSet)) {
    const line = `**${escapeMarkdownCell(h.label)}:** ${escapeMarkdownCell(h.text)}`;
    out.push(`- ${h.alarm ? `⚠ ${line}` : line}`);
  }
  out.push("");
  for (const c of m.comparisons) {
    const worse = regressions(c);
    out.push(`## Comparison: ${escapeMarkdownCell(c.newLabel)} vs ${escapeMarkdownCell(c.oldLabel)}`, "");
    out.push(
      worse.length === 0
        ? `No figure worse by more than ${(c.tolerance * 100).toFixed(0)}%.`
        : `⚠ **${worse.length} figures worse by more than ${(c.tolerance * 100).toFixed(0)}%** (bold below).`,
      "",
    );
    // Only what moved: a pull request comment stays short; report.html has every figure.
    const moved = c.rows.filter((r) => r.change === "worse" || r.change === "better");
    if (moved.length > 0) {
      out.push(tableMd(ratioTable(c, (r) => r.change === "worse" || r.change === "better")), "");
    }
    if (c.rows.length > moved.length)
      out.push(`${c.rows.length - moved.length} figures within the tolerance.`, "");
    if (c.onlyOld.length > 0)
      out.push(
        `Only in ${escapeMarkdownCell(c.oldLabel)}: ${c.onlyOld.map(escapeMarkdownCell).join(", ")}`,
        "",
      );
    if (c.onlyNew.length > 0)
      out.push(
        `Only in ${escapeMarkdownCell(c.newLabel)}: ${c.onlyNew.map(escapeMarkdownCell).join(", ")}`,
        "",
      );
  }
  out.push(
    "## Runs",
    "",
    "Latencies corrected for coordinated omission.",
    "",
    tableMd(runsTable(m.runs, multiSet)),
    "",
  );
  const verdicts = verdictTable(m.runs, multiSet);
  if (verdicts.rows.length > 0) out.push("## Delivery verdicts", "", tableMd(verdicts), "");
  if (m.charts.length > 0) {
    out.push("## Charts", "");
    for (const c of m.charts) {
      const image = c.files.find((f) => f.endsWith(".png")) ?? c.files.find((f) => f.endsWith(".svg"));
      out.push(image ? `![${c.def.title}](${encodeURI(image)})` : `${c.def.title}: see report.html`, "");
    }
  }
  return out.join("\n");
}
