/**
 * report.html: one self-contained page (charts inlined as SVG, styles inline, no script, nothing
 * fetched at view time). Every string from input goes through escapeHtml; the SVGs come from vega,
 * which escapes its own text, and get per-chart ids so they do not clash in one document.
 *
 * Reading order: what the runs were, the headlines (each naming its runs as links to their rows),
 * for a comparison what differs and what moved, then the runs over time, every run's figures, the
 * runs table, the latency distributions, the verdicts with witnesses, the workload, the machine.
 */
import type { ChartDef } from "./charts.js";
import type { Comparison } from "./compare.js";
import { escapeHtml } from "./escape.js";
import { measured, type ReportRun, runLabels, variedDimensions } from "./figures.js";
import { comparisonHeadlines, type Headline, headlines } from "./headlines.js";
import { chooseLayout } from "./layout.js";
import type { ResultSet } from "./load.js";
import { OMB_LATENCY_NOTE } from "./omb.js";
import { prefixSvgIds } from "./render.js";
import {
  differencesTable,
  type Mark,
  ratioTable,
  runsTable,
  supportTable,
  type Table,
  verdictChangesTable,
  verdictTable,
  witnessGroups,
} from "./tables.js";

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
  /** A run's results.json relative to the report, for links; null when it has none. */
  readonly resultsHref?: (r: ReportRun) => string | null;
}

/** Witnesses shown per anomaly; the rest are counted. */
const WITNESSES_SHOWN = 5;

const STYLE = `
body{font-family:"DejaVu Sans",Verdana,sans-serif;margin:20px auto;max-width:1400px;padding:0 16px;color:#222}
h1{margin:0 0 4px;font-size:26px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
a{color:#1a55a0}
.meta{color:#666;font-size:13px}
ul.headlines{padding-left:20px;font-size:15px;line-height:1.45}ul.headlines li{margin:5px 0}
li.tone-alarm{color:#b00020}
.caveat{color:#9a4d00;font-weight:bold}li.tone-alarm .caveat{color:#b00020}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f4f4f4;font-weight:bold}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.row-bad td{background:#fdecee}tr.row-warn td{background:#fff8e1}
tr:target td{outline:2px solid #1a55a0;background:#eef4fc}
td.bad,span.bad{color:#b00020;font-weight:bold}td.good{color:#1b7f3b}td.warn{color:#9a4d00}
td.note,span.note{color:#777}
figure.chart{margin:12px 0 24px}figure.chart h2{margin-bottom:6px}figure.chart figcaption{color:#555;font-size:13px;margin-bottom:6px;max-width:1100px}
figure.chart svg{max-width:100%;height:auto;display:block}
.links{font-size:12px;color:#666}
details{margin:4px 0}summary{cursor:pointer}summary.bad{color:#b00020;font-weight:bold}summary.note{color:#666}
pre{background:#f7f7f7;padding:6px 8px;overflow-x:auto;font-size:12px;white-space:pre-wrap;word-break:break-all}
table.runs td:first-child,table.verdicts td:first-child{min-width:15em}
table.support td{text-align:center;min-width:5em}table.support td:first-child{text-align:left}
ul.reasons{font-size:13px;color:#444;list-style:none;padding-left:4px}ul.reasons li{margin:2px 0}
p.note{background:#f4f6fa;border-left:3px solid #8aa;padding:6px 10px;font-size:13px}
`;

/** A run's anchor in this page: its row in the runs table. */
export function runAnchor(r: ReportRun, multiSet: boolean): string {
  return `run-${multiSet ? `${r.set}--` : ""}${r.result.runId}`.replace(/\s+/g, "_");
}

function hrefTo(id: string): string {
  return `#${encodeURIComponent(id)}`;
}

function cellHtml(text: string, href: string | undefined, cls: string): string {
  const body = href ? `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>` : escapeHtml(text);
  return `<td${cls ? ` class="${cls}"` : ""}>${body}</td>`;
}

function tableHtml(
  t: Table,
  cls: string,
  rowId?: (r: ReportRun) => string,
  link?: (r: ReportRun) => string | null,
): string {
  const head = `<tr>${t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>`;
  const body = t.rows
    .map((row, i) => {
      const mark = t.rowMarks[i] ?? null;
      const run = t.rowRuns?.[i] ?? null;
      const cells = row
        .map((c, j) => {
          const classes = [c.num ? "num" : "", c.mark ?? ""].filter((x) => x !== "").join(" ");
          const href = c.href ?? (j === 0 && run && link ? (link(run) ?? undefined) : undefined);
          return cellHtml(c.text, href, classes);
        })
        .join("");
      const id = run && rowId ? ` id="${escapeHtml(rowId(run))}"` : "";
      return `<tr${id}${rowClass(mark)}>${cells}</tr>`;
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

function headlineHtml(h: Headline, anchor: (r: ReportRun) => string): string {
  const body = h.parts
    .map((p) => {
      if ("caveat" in p) return `<span class="caveat">${escapeHtml(p.caveat)}</span>`;
      if ("run" in p) return `<a href="${escapeHtml(hrefTo(anchor(p.run)))}">${escapeHtml(p.text)}</a>`;
      return escapeHtml(p.text);
    })
    .join("");
  const cls = h.tone === "plain" ? "" : ` class="tone-${h.tone}"`;
  return `<li${cls}><b>${escapeHtml(h.label)}:</b> ${body}</li>`;
}

function chartHtml(c: RenderedChart, index: number, heading: "h2" | "h3"): string {
  const links =
    c.files.length === 0
      ? ""
      : `<div class="links">${c.files.map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`).join(" · ")}</div>`;
  return `<figure class="chart" id="chart-${escapeHtml(c.def.id)}" data-chart="${escapeHtml(c.def.id)}">
<${heading}>${escapeHtml(c.def.title)}</${heading}>
<figcaption>${escapeHtml(c.def.caption)}</figcaption>
${prefixSvgIds(c.svg, `c${index}`)}
${links}
</figure>`;
}

function comparisonHtml(c: Comparison): string {
  const parts = [
    `<h2 id="comparison">Comparison: ${escapeHtml(c.newLabel)} vs ${escapeHtml(c.oldLabel)}</h2>`,
    `<p class="meta">${escapeHtml(String(c.matched))} runs matched by workload, matrix point and adapter. ` +
      `A figure is flagged when it moved by more than ${escapeHtml((c.tolerance * 100).toFixed(0))} % <i>and</i> by more than ` +
      `${escapeHtml(String(c.absTolerance.ms))} ms, ${escapeHtml(String(c.absTolerance["msg/s"]))} msg/s or ${escapeHtml(String(c.absTolerance.msgs))} messages ` +
      `(<code>--tolerance</code>, <code>--abs-tolerance</code>). Throughput is judged against the offered rate. Latencies corrected for coordinated omission.</p>`,
    `<h3>What differs</h3>`,
    c.differences.length === 0
      ? `<p>Nothing: the matched runs share every workload parameter, adapter setting, version and the machine.</p>`
      : tableHtml(differencesTable(c), "differences"),
  ];
  if (c.verdictChanges.length > 0) {
    parts.push(`<h3>Verdicts that changed</h3>`, tableHtml(verdictChangesTable(c), "verdict-changes"));
  }
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
      )} within the tolerances or as offered)</summary>\n${tableHtml(ratioTable(c), "ratios all")}</details>`,
    );
  }
  if (c.onlyOld.length > 0)
    parts.push(`<p>Only in ${escapeHtml(c.oldLabel)}: ${escapeHtml(c.onlyOld.join("; "))}</p>`);
  if (c.onlyNew.length > 0)
    parts.push(`<p>Only in ${escapeHtml(c.newLabel)}: ${escapeHtml(c.onlyNew.join("; "))}</p>`);
  for (const n of c.notComparable) {
    parts.push(
      `<p>Not comparable: ${escapeHtml(n.point)} (${escapeHtml(c.oldLabel)} ${escapeHtml(n.oldStatus)}, ${escapeHtml(c.newLabel)} ${escapeHtml(n.newStatus)})</p>`,
    );
  }
  return parts.join("\n");
}

function witnessesHtml(m: ReportModel, name: (r: ReportRun) => string): string {
  const groups = witnessGroups(m.runs);
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
      const verdict = g.forbidden
        ? "forbidden by the expectation"
        : "allowed by the expectation: context, not a violation";
      return `<details${g.forbidden ? " open" : ""}><summary class="${g.forbidden ? "bad" : "note"}">${escapeHtml(name(g.run))} — ${escapeHtml(
        g.scope,
      )}: ${escapeHtml(g.anomaly)} × ${escapeHtml(g.finding.count.toLocaleString("en-US"))} (${escapeHtml(verdict)})</summary>
<ul>${items}</ul>${more > 0 ? `<p class="meta">${escapeHtml(more.toLocaleString("en-US"))} more not shown</p>` : ""}</details>`;
    })
    .join("\n");
}

/** The matrix axes of a workload's runs and the values each took, in run order. */
function matrixHtml(runs: readonly ReportRun[]): string {
  const axes = new Map<string, Set<string>>();
  for (const r of runs) {
    for (const [k, v] of Object.entries(r.result.workload.matrix)) {
      axes.set(k, (axes.get(k) ?? new Set()).add(typeof v === "string" ? v : JSON.stringify(v)));
    }
  }
  if (axes.size === 0) return "";
  const rows = [...axes].map(([k, vs]): [string, string] => [k, [...vs].join(", ")]);
  return `<p class="meta">Matrix:</p>${kvTable(rows)}`;
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
${matrixHtml(runs)}
${varied.length > 0 ? `<p class="meta">Varied across its ${escapeHtml(String(runs.length))} runs: ${escapeHtml(varied.join(", "))}</p>` : ""}
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
      for (const [k, v] of Object.entries(r.result.environment.adapterVersions ?? {})) versions.set(k, v);
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

/** `push-vs-pull: 14 points, 7 adapters × delivery; 10 ran, 4 not supported`. */
function scopeLine(m: ReportModel): string {
  return m.sets
    .map((s) => {
      const runs = m.runs.filter((r) => r.set === s.label);
      const workloads = [...new Set(runs.map((r) => r.result.workload.name))];
      const adapters = [...new Set(runs.map((r) => r.result.adapter.name))];
      const axes = variedDimensions(runs).filter((k) => k !== "adapter" && k !== "workload");
      const statuses = new Map<string, number>();
      for (const r of runs) statuses.set(r.result.status, (statuses.get(r.result.status) ?? 0) + 1);
      const counts = [...statuses]
        .map(([st, n]) => `${n} ${st === "completed" ? "completed" : st}`)
        .join(", ");
      const shape = [adapters.length > 1 ? `${adapters.length} adapters` : adapters[0], ...axes].join(" × ");
      return `${m.sets.length > 1 ? `<b>${escapeHtml(s.label)}</b>: ` : ""}${escapeHtml(workloads.join(", "))}: ${escapeHtml(
        String(runs.length),
      )} run${runs.length === 1 ? "" : "s"} (${escapeHtml(shape ?? "")}): ${escapeHtml(counts)} · <code>${escapeHtml(s.source)}</code>`;
    })
    .join("<br>");
}

export function reportHtml(m: ReportModel): string {
  const multiSet = m.sets.length > 1;
  const labels = runLabels(m.runs);
  const name = (r: ReportRun) => labels.get(r) ?? r.result.runId;
  const anchor = (r: ReportRun) =>
    r.result.status === "not-supported" ? "not-supported" : runAnchor(r, multiSet);
  const chart = new Map(m.charts.map((c, i) => [c.def.id, { c, i }]));
  const take = (id: string, heading: "h2" | "h3" = "h2") => {
    const found = chart.get(id);
    return found ? chartHtml(found.c, found.i, heading) : "";
  };
  const heads = [
    ...m.comparisons.flatMap(comparisonHeadlines),
    ...headlines(m.runs, name, { multiSet, searches: m.sets.flatMap((s) => s.searches ?? []) }),
  ];
  // Tables list runs in the charts' order: by adapter, then the matrix.
  const ordered = chooseLayout(measured(m.runs)).sort(m.runs);
  const verdicts = verdictTable(ordered, name);
  const support = supportTable(m.runs);
  const unsupportedCount = m.runs.filter((r) => r.result.status === "not-supported").length;
  const runs = runsTable(ordered, name);
  const workloads = [...new Set(m.runs.map((r) => r.result.workload.name))];
  const rowId = (r: ReportRun) => runAnchor(r, multiSet);
  const link = (r: ReportRun) => m.resultsHref?.(r) ?? null;
  const sections = [
    `<h1>${escapeHtml(workloads.join(", ") || "brokerbench")} <span class="meta">brokerbench report</span></h1>`,
    `<p class="meta">${scopeLine(m)}<br>Generated ${escapeHtml(m.generatedAt)}</p>`,
    `<h2>Summary</h2>`,
    heads.length === 0
      ? "<p>No runs.</p>"
      : `<ul class="headlines">${heads.map((h) => headlineHtml(h, anchor)).join("\n")}</ul>`,
    ...m.comparisons.map(comparisonHtml),
    ...(m.charts.length === 0 ? ["<p>No run has figures to chart.</p>"] : []),
    take("timeline"),
    take("figures"),
    `<h2>Runs</h2>`,
    `<p class="meta">Latencies from the intended send time (corrected for coordinated omission), after warmup. ` +
      `Consumed msg/s is per consumer group (× groups when several read the stream). Sustained: published what was offered, ` +
      `every group consumed it, and the backlog at the end of producing held at most 1 s of messages. Each run links to its results.json.</p>`,
    runs.rows.length === 0 ? "<p>No run ran.</p>" : tableHtml(runs, "runs", rowId, link),
    unsupportedCount === 0
      ? ""
      : `<h3 id="not-supported">What ran where: ${escapeHtml(String(unsupportedCount))} of ${escapeHtml(
          String(m.runs.length),
        )} points not supported by their adapter</h3>\n${tableHtml(support.table, "support")}\n<ul class="reasons">${support.reasons
          .map(([mark, reason]) => `<li><b>${escapeHtml(mark)}</b>: ${escapeHtml(reason)}</li>`)
          .join("")}</ul>`,
    chart.has("latency") || chart.has("publish-latency")
      ? `<h2>Latency by percentile</h2>${take("latency", "h3")}${take("publish-latency", "h3")}`
      : "",
    take("latency-vs-rate"),
    `<h2>Delivery verdicts</h2>`,
    verdicts.rows.length === 0
      ? "<p>No run was checked.</p>"
      : `<p class="meta">Red: what the run's expectation forbids (the verdict). Grey "(allowed)": found but allowed by the expectation, context and not a violation.</p>\n${tableHtml(verdicts, "verdicts")}`,
    witnessesHtml(m, name),
    `<h2>Workload parameters</h2>`,
    workloadsHtml(m),
    `<h2>Environment</h2>`,
    environmentHtml(m),
    m.ombFiles.length > 0
      ? `<h2>OpenMessaging Benchmark export</h2><p class="note">${escapeHtml(OMB_LATENCY_NOTE)}</p><p>${m.ombFiles
          .map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`)
          .join("<br>")}</p>`
      : "",
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(workloads.join(", ") || "brokerbench")} — brokerbench report</title>
<style>${STYLE}</style>
</head>
<body>
${sections.filter((s) => s !== "").join("\n")}
</body>
</html>
`;
}
