/**
 * report.html: one self-contained page (charts inlined as SVG, styles inline, no script, nothing
 * fetched at view time). Every string from input goes through escapeHtml; the SVGs come from vega,
 * which escapes its own text, and get per-chart ids so they do not clash in one document.
 */
import type { ChartDef } from "./charts.js";
import { type Comparison, regressions } from "./compare.js";
import { escapeHtml } from "./escape.js";
import { headlines, type ReportRun } from "./figures.js";
import type { ResultSet } from "./load.js";
import { prefixSvgIds } from "./render.js";
import { type Mark, ratioTable, runsTable, type Table, verdictTable, witnessGroups } from "./tables.js";

export interface RenderedChart {
  readonly def: ChartDef;
  readonly svg: string;
  /** Files written for it, relative to the report (svg, png, vl.json), for the links under it. */
  readonly files: readonly string[];
}

export interface ReportModel {
  readonly generatedAt: string;
  readonly sets: readonly ResultSet[];
  readonly runs: readonly ReportRun[];
  readonly charts: readonly RenderedChart[];
  readonly comparisons: readonly Comparison[];
  /** OMB exports written, relative to the report. */
  readonly ombFiles: readonly string[];
}

/** Witnesses shown per anomaly; the rest are counted. */
const WITNESSES_SHOWN = 5;

const STYLE = `
body{font-family:"DejaVu Sans",Verdana,sans-serif;margin:24px auto;max-width:1400px;padding:0 16px;color:#222}
h1{margin-bottom:4px}h2{margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;font-size:13px}
ul.headlines{padding-left:20px;font-size:15px}ul.headlines li{margin:4px 0}
li.alarm{color:#b00020;font-weight:bold}
table{border-collapse:collapse;font-size:13px;margin:8px 0}.scroll{overflow-x:auto}
td:first-child{overflow-wrap:anywhere;min-width:16em}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.row-bad td{background:#fdecee}tr.row-warn td{background:#fff8e1}
td.bad{color:#b00020;font-weight:bold}td.good{color:#1b7f3b}td.warn{color:#a06000;font-weight:bold}
figure.chart{margin:16px 0 28px}figure.chart figcaption{color:#555;font-size:13px;margin-bottom:6px}
figure.chart svg{max-width:100%;height:auto;display:block}
.links{font-size:12px;color:#666}
details{margin:6px 0}summary{cursor:pointer}
pre{background:#f7f7f7;padding:6px 8px;overflow-x:auto;font-size:12px;white-space:pre-wrap;word-break:break-all}
`;

function tableHtml(t: Table, cls: string): string {
  const head = `<tr>${t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>`;
  const body = t.rows
    .map((row, i) => {
      const mark = t.rowMarks[i] ?? null;
      const cells = row
        .map((c) => {
          const classes = [c.num ? "num" : "", c.mark ?? ""].filter((x) => x !== "").join(" ");
          return `<td${classes ? ` class="${classes}"` : ""}>${escapeHtml(c.text)}</td>`;
        })
        .join("");
      return `<tr${rowClass(mark)}>${cells}</tr>`;
    })
    .join("\n");
  return `<div class="scroll"><table class="${cls}">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

function rowClass(mark: Mark): string {
  return mark === "bad" || mark === "warn" ? ` class="row-${mark}"` : "";
}

function kvTable(rows: readonly [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>`;
}

function headlinesHtml(m: ReportModel): string {
  const items = headlines(m.runs, m.sets.length > 1);
  const regress = m.comparisons.flatMap((c) =>
    regressions(c).length === 0
      ? []
      : [
          {
            alarm: true,
            label: `Regressions (${c.newLabel} vs ${c.oldLabel})`,
            text: `${regressions(c).length} figures worse by more than ${(c.tolerance * 100).toFixed(0)}%`,
          },
        ],
  );
  const all = [...items, ...regress];
  if (all.length === 0) return "<p>No runs.</p>";
  return `<ul class="headlines">${all
    .map(
      (h) =>
        `<li${h.alarm ? ' class="alarm"' : ""}><b>${escapeHtml(h.label)}:</b> ${escapeHtml(h.text)}</li>`,
    )
    .join("\n")}</ul>`;
}

function chartHtml(c: RenderedChart, index: number): string {
  const links =
    c.files.length === 0
      ? ""
      : `<div class="links">${c.files.map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`).join(" · ")}</div>`;
  return `<figure class="chart" id="chart-${escapeHtml(c.def.id)}" data-chart="${escapeHtml(c.def.id)}">
<h3>${escapeHtml(c.def.title)}</h3>
<figcaption>${escapeHtml(c.def.caption)}</figcaption>
${prefixSvgIds(c.svg, `c${index}`)}
${links}
</figure>`;
}

function comparisonHtml(c: Comparison): string {
  const parts = [
    `<h2>Comparison: ${escapeHtml(c.newLabel)} vs ${escapeHtml(c.oldLabel)}</h2>`,
    `<p class="meta">Ratios new/old; flagged worse when throughput drops or latency/backlog grows by more than ${escapeHtml(
      (c.tolerance * 100).toFixed(0),
    )}%. Latencies corrected for coordinated omission.</p>`,
  ];
  // What moved first (regressions, then improvements); every figure one click away.
  const moved = c.rows.filter((r) => r.change === "worse" || r.change === "better");
  for (const change of ["worse", "better"] as const) {
    const n = c.rows.filter((r) => r.change === change).length;
    if (n === 0) continue;
    parts.push(`<h3>${escapeHtml(String(n))} ${change}</h3>`);
    parts.push(
      tableHtml(
        ratioTable(c, (r) => r.change === change),
        `ratios ${change}`,
      ),
    );
  }
  if (c.rows.length > 0) {
    parts.push(
      `<details${moved.length === 0 ? " open" : ""}><summary>All ${escapeHtml(String(c.rows.length))} figures (${escapeHtml(
        String(c.rows.length - moved.length),
      )} within the tolerance)</summary>\n${tableHtml(ratioTable(c), "ratios all")}</details>`,
    );
  }
  if (c.onlyOld.length > 0)
    parts.push(`<p>Only in ${escapeHtml(c.oldLabel)}: ${escapeHtml(c.onlyOld.join(", "))}</p>`);
  if (c.onlyNew.length > 0)
    parts.push(`<p>Only in ${escapeHtml(c.newLabel)}: ${escapeHtml(c.onlyNew.join(", "))}</p>`);
  for (const n of c.notComparable) {
    parts.push(
      `<p>Not comparable: ${escapeHtml(n.runId)} (${escapeHtml(c.oldLabel)} ${escapeHtml(n.oldStatus)}, ${escapeHtml(c.newLabel)} ${escapeHtml(n.newStatus)})</p>`,
    );
  }
  return parts.join("\n");
}

function witnessesHtml(m: ReportModel): string {
  const groups = witnessGroups(m.runs, m.sets.length > 1);
  if (groups.length === 0) return "";
  return groups
    .map((g) => {
      const shown = g.finding.witnesses.slice(0, WITNESSES_SHOWN);
      const more = g.finding.count - shown.length;
      const items = shown
        .map(
          (w) =>
            `<li>${escapeHtml(w.message)}${
              w.lines.length === 0
                ? ""
                : `<pre>${w.lines.map((l) => `${escapeHtml(String(l.line))}: ${escapeHtml(l.text)}`).join("\n")}</pre>`
            }</li>`,
        )
        .join("\n");
      return `<details${g.forbidden ? " open" : ""}><summary class="${g.forbidden ? "bad" : "warn"}">${escapeHtml(g.run)} — ${escapeHtml(
        g.scope,
      )}: ${escapeHtml(g.anomaly)} × ${escapeHtml(String(g.finding.count))}${g.forbidden ? " (forbidden)" : " (allowed by the expectation)"}</summary>
<ul>${items}</ul>${more > 0 ? `<p class="meta">${escapeHtml(String(more))} more not shown</p>` : ""}</details>`;
    })
    .join("\n");
}

/** Per workload: the parameters all its runs share, and the names of those the matrix varied. */
function workloadsHtml(m: ReportModel): string {
  const byName = new Map<string, ReportRun[]>();
  for (const r of m.runs) {
    const key = `${r.result.workload.name}\u0000${r.result.workload.file ?? ""}`;
    byName.set(key, [...(byName.get(key) ?? []), r]);
  }
  return [...byName.values()]
    .map((runs) => {
      const w = (runs[0] as ReportRun).result.workload;
      const common: Record<string, unknown> = {};
      const varied: string[] = [];
      for (const [k, v] of Object.entries(w.params)) {
        const same = runs.every((r) => JSON.stringify(r.result.workload.params[k]) === JSON.stringify(v));
        if (same) common[k] = v;
        else varied.push(k);
      }
      return `<h3>${escapeHtml(w.name)}${w.file ? ` <span class="meta">(${escapeHtml(w.file)})</span>` : ""}</h3>
${varied.length > 0 ? `<p class="meta">Varied across its ${escapeHtml(String(runs.length))} runs (see the matrix column above): ${escapeHtml(varied.join(", "))}</p>` : ""}
<pre>${escapeHtml(JSON.stringify(common, null, 2))}</pre>`;
    })
    .join("\n");
}

function environmentHtml(m: ReportModel): string {
  const seen = new Map<string, ReportRun[]>();
  for (const r of m.runs) {
    const e = r.result.environment;
    const key = JSON.stringify([
      e.node,
      e.platform,
      e.arch,
      e.cpuModel,
      e.cpus,
      e.memTotalMiB,
      e.hostname,
      e.brokerbench,
    ]);
    const list = seen.get(key) ?? [];
    list.push(r);
    seen.set(key, list);
  }
  const envs = [...seen.values()].map((runs) => {
    const e = (runs[0] as ReportRun).result.environment;
    const versions = new Map<string, string>();
    for (const r of runs) {
      for (const [k, v] of Object.entries(r.result.environment.adapterVersions)) versions.set(k, v);
    }
    return kvTable([
      ["brokerbench", e.brokerbench],
      ["Node.js", e.node],
      ["platform", `${e.platform} ${e.arch}`],
      ["CPU", `${e.cpuModel} × ${e.cpus}`],
      ["memory", `${e.memTotalMiB} MiB`],
      ["host", e.hostname],
      ...[...versions].map(([k, v]): [string, string] => [`${k} version`, v]),
      ["runs", seen.size > 1 ? runs.map((r) => r.result.runId).join(", ") : "all"],
    ]);
  });
  return envs.join("\n");
}

export function reportHtml(m: ReportModel): string {
  const multiSet = m.sets.length > 1;
  const sources = m.sets
    .map(
      (s) =>
        `${escapeHtml(s.label)}: ${escapeHtml(String(s.runs.length))} runs from <code>${escapeHtml(s.source)}</code>`,
    )
    .join("<br>");
  const verdicts = verdictTable(m.runs, multiSet);
  const sections = [
    `<h1>brokerbench report</h1>`,
    `<p class="meta">Generated ${escapeHtml(m.generatedAt)}<br>${sources}</p>`,
    `<h2>Summary</h2>`,
    headlinesHtml(m),
    ...m.comparisons.map(comparisonHtml),
    `<h2>Runs</h2>`,
    `<p class="meta">Latencies corrected for coordinated omission (measured from the intended send time).</p>`,
    tableHtml(runsTable(m.runs, multiSet), "runs"),
    `<h2>Charts</h2>`,
    m.charts.length === 0 ? "<p>No completed runs to chart.</p>" : m.charts.map(chartHtml).join("\n"),
    `<h2>Delivery verdicts</h2>`,
    verdicts.rows.length === 0 ? "<p>No run was checked.</p>" : tableHtml(verdicts, "verdicts"),
    witnessesHtml(m),
    `<h2>Workload parameters</h2>`,
    workloadsHtml(m),
    `<h2>Environment</h2>`,
    environmentHtml(m),
    m.ombFiles.length > 0
      ? `<h2>OpenMessaging Benchmark export</h2><p>${m.ombFiles.map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`).join("<br>")}</p>`
      : "",
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>brokerbench report</title>
<style>${STYLE}</style>
</head>
<body>
${sections.join("\n")}
</body>
</html>
`;
}
