/**
 * The report's charts as Vega-Lite specs, data inlined so a spec renders anywhere (Node, a browser,
 * the Vega editor) without fetching. When several result sets are reported, each chart shows them
 * side by side (a column per set) on shared scales, so old and new compare by eye.
 */
import type { TopLevelSpec } from "vega-lite";
import type { LatencyPair } from "../core/results.js";
import {
  completed,
  dimensionLabel,
  dimensions,
  isRate,
  type ReportRun,
  rateDimension,
  rates,
  shortLabels,
  variedDimensions,
} from "./figures.js";
import { MAX_X, percentileDistribution } from "./percentiles.js";

export interface ChartDef {
  /** File stem: charts/<id>.svg, .png, .vl.json. */
  readonly id: string;
  readonly title: string;
  /** One sentence under the title: how to read it. */
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
/** resvg is given DejaVu; browsers fall back to their sans-serif. */
const FONT = "DejaVu Sans, Verdana, sans-serif";
const CONFIG = {
  font: FONT,
  background: "white",
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  // vega measures text by estimate in Node (no canvas), generously: limits high so nothing is cut.
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0, titleLimit: 0 },
  // Long run names break at their commas instead of being cut.
  header: { labelFontSize: 12, titleFontSize: 12, labelLimit: 0, labelExpr: "split(datum.label, ', ')" },
  title: { fontSize: 15, anchor: "start" as const },
  range: { category: { scheme: "tableau10" } },
};

/** The charts for these runs; a chart without data to show is left out. */
export function buildCharts(runs: readonly ReportRun[], setLabels: readonly string[]): ChartDef[] {
  const done = completed(runs);
  if (done.length === 0) return [];
  const labels = shortLabels(done);
  const label = (r: ReportRun) => labels.get(r) ?? r.result.runId;
  const ctx: ChartContext = {
    runs: done,
    multiSet: setLabels.length > 1,
    setLabels,
    label,
    runOrder: unique(done.map(label)),
  };
  const charts = [
    throughputChart(ctx),
    backlogChart(ctx),
    latencyChart(ctx),
    comparisonChart(ctx),
    rateChart(ctx),
  ];
  return charts.filter((c): c is ChartDef => c !== null);
}

interface ChartContext {
  readonly runs: readonly ReportRun[];
  readonly multiSet: boolean;
  readonly setLabels: readonly string[];
  /** The run's name in legends and panel headers. */
  readonly label: (r: ReportRun) => string;
  readonly runOrder: readonly string[];
}

/**
 * Specs are built as plain objects; vega-lite's TopLevelSpec union is too deep to check object
 * literals against usefully. Every chart is compiled and rendered in the tests instead.
 */
function asSpec(spec: Record<string, unknown>): TopLevelSpec {
  return spec as unknown as TopLevelSpec;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function colorScale(n: number): { scheme: string } {
  return { scheme: n > 10 ? "tableau20" : "tableau10" };
}

/** Produced and consumed msg/s over time, one small panel per run; warmup and faults shaded. */
function throughputChart(ctx: ChartContext): ChartDef | null {
  const values: Record<string, unknown>[] = [];
  for (const run of ctx.runs) {
    const { set, result: r } = run;
    const name = ctx.label(run);
    if (r.warmupS > 0) values.push({ kind: "warmup", set, run: name, startS: 0, endS: r.warmupS });
    for (const f of r.faults) {
      values.push({
        kind: "fault",
        set,
        run: name,
        startS: f.startS,
        endS: f.endS,
        fault: `${f.kind} ${f.target}`,
      });
    }
    // Each sample is an interval's average: drawn flat over the interval it covers (a step).
    for (const p of rates(r)) {
      for (const tS of [p.fromS, p.tS]) {
        values.push({
          kind: "sample",
          set,
          run: name,
          tS,
          series: "published",
          msgsPerSec: p.publishMsgsPerSec,
        });
        values.push({
          kind: "sample",
          set,
          run: name,
          tS,
          series: "consumed",
          msgsPerSec: p.consumeMsgsPerSec,
        });
      }
    }
  }
  if (!values.some((v) => v.kind === "sample")) return null;
  const panel = {
    width: 250,
    height: 110,
    layer: [
      {
        transform: [{ filter: "datum.kind === 'warmup'" }],
        mark: { type: "rect" as const, color: "#999", opacity: 0.15 },
        encoding: {
          x: { field: "startS", type: "quantitative" as const },
          x2: { field: "endS" },
          tooltip: [{ field: "endS", title: "warmup until (s)" }],
        },
      },
      {
        transform: [{ filter: "datum.kind === 'fault'" }],
        mark: { type: "rect" as const, color: "#d62728", opacity: 0.18 },
        encoding: {
          x: { field: "startS", type: "quantitative" as const },
          x2: { field: "endS" },
          tooltip: [{ field: "fault", title: "fault" }],
        },
      },
      {
        transform: [{ filter: "datum.kind === 'sample'" }],
        mark: { type: "line" as const, strokeWidth: 1.5 },
        encoding: {
          x: { field: "tS", type: "quantitative" as const, title: "seconds since start" },
          y: { field: "msgsPerSec", type: "quantitative" as const, title: "msg/s" },
          color: {
            field: "series",
            type: "nominal" as const,
            title: null,
            scale: { domain: ["published", "consumed"], range: ["#4c78a8", "#f58518"] },
          },
          strokeDash: {
            field: "series",
            type: "nominal" as const,
            title: null,
            scale: {
              domain: ["published", "consumed"],
              range: [
                [1, 0],
                [5, 3],
              ],
            },
          },
          tooltip: [
            { field: "run" },
            { field: "series" },
            { field: "tS", title: "s" },
            { field: "msgsPerSec", title: "msg/s", format: ",.0f" },
          ],
        },
      },
    ],
  };
  // Headers break at commas (see CONFIG.header); between rows of panels there must be room for them.
  const headerLines = ctx.multiSet ? 1 : Math.max(...ctx.runOrder.map((l) => l.split(", ").length));
  const facet = ctx.multiSet
    ? {
        row: {
          field: "run",
          type: "nominal" as const,
          sort: [...ctx.runOrder],
          title: null,
          header: { labelAngle: 0, labelAlign: "left" as const },
        },
        column: { field: "set", type: "nominal" as const, sort: [...ctx.setLabels], title: null },
      }
    : { field: "run", type: "nominal" as const, sort: [...ctx.runOrder], title: null };
  const spec = asSpec({
    $schema: SCHEMA,
    config: CONFIG,
    data: { values },
    facet,
    // Lay panels out by their plot areas: vega's text estimate in Node overstates header widths.
    bounds: "flush",
    spacing: { row: 16 + 15 * headerLines, column: 40 },
    ...(ctx.multiSet ? {} : { columns: Math.min(3, ctx.runOrder.length) }),
    spec: panel,
    resolve: { scale: { y: "shared" as const } },
  });
  return {
    id: "throughput",
    title: "Throughput over time",
    caption:
      "Messages per second published (solid) and consumed (dashed), one panel per run; grey: warmup, red: injected faults.",
    spec,
  };
}

/** Side by side per set when comparing. */
function bySet(ctx: ChartContext, inner: Record<string, unknown>, values: readonly unknown[]): TopLevelSpec {
  if (!ctx.multiSet) return asSpec({ $schema: SCHEMA, config: CONFIG, data: { values }, ...inner });
  return asSpec({
    $schema: SCHEMA,
    config: CONFIG,
    data: { values },
    facet: { column: { field: "set", type: "nominal", sort: [...ctx.setLabels], title: null } },
    spec: inner,
  });
}

function backlogChart(ctx: ChartContext): ChartDef | null {
  const values = ctx.runs.flatMap((run) =>
    rates(run.result).map((p) => ({
      set: run.set,
      run: ctx.label(run),
      tS: p.tS,
      backlogMsgs: p.backlogMsgs,
    })),
  );
  if (values.length === 0) return null;
  const inner = {
    width: ctx.multiSet ? 380 : 640,
    height: 220,
    mark: { type: "line", strokeWidth: 1.5 },
    encoding: {
      x: { field: "tS", type: "quantitative", title: "seconds since start" },
      y: {
        field: "backlogMsgs",
        type: "quantitative",
        title: "backlog (messages)",
        axis: { format: ",.0f", tickMinStep: 1 },
      },
      color: {
        field: "run",
        type: "nominal",
        sort: [...ctx.runOrder],
        title: "run",
        scale: colorScale(ctx.runOrder.length),
      },
      tooltip: [
        { field: "run" },
        { field: "tS", title: "s" },
        { field: "backlogMsgs", title: "backlog", format: "," },
      ],
    },
  };
  return {
    id: "backlog",
    title: "Backlog over time",
    caption: "Acknowledged but not yet consumed messages, summed over consumer groups.",
    spec: bySet(ctx, inner, values),
  };
}

/** The percentile axis ticks: 50%, 90%, 99%, 99.9%, 99.99%, max. */
const PERCENTILE_TICKS = [2, 10, 100, 1000, 10_000, MAX_X];
const PERCENTILE_LABEL = `datum.value >= ${MAX_X} ? 'max' : format(100 - 100 / datum.value, '.4~f') + '%'`;

function latencyRows(
  set: string,
  run: string,
  measure: string,
  pair: LatencyPair,
): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const correction of ["corrected", "uncorrected"] as const) {
    for (const p of percentileDistribution(pair[correction])) {
      if (p.valueMs <= 0) continue; // a log axis has no 0; sub-microsecond values say nothing here
      rows.push({ set, run, measure, correction, x: p.x, percentile: p.percentile, valueMs: p.valueMs });
    }
  }
  return rows;
}

/** HdrHistogram-style percentile distribution: publish and end-to-end, corrected and not. */
function latencyChart(ctx: ChartContext): ChartDef | null {
  const values = ctx.runs.flatMap((run) => [
    ...latencyRows(run.set, ctx.label(run), "end-to-end", run.result.latency.endToEnd),
    ...latencyRows(run.set, ctx.label(run), "publish", run.result.latency.publish),
  ]);
  if (values.length === 0) return null;
  const spec = asSpec({
    $schema: SCHEMA,
    config: CONFIG,
    data: { values },
    facet: {
      column: { field: "measure", type: "nominal", sort: ["end-to-end", "publish"], title: null },
      ...(ctx.multiSet
        ? { row: { field: "set", type: "nominal", sort: [...ctx.setLabels], title: null } }
        : {}),
    },
    spec: {
      width: 380,
      // Many runs mean many lines: give them room.
      height: Math.min(400, 240 + 12 * Math.max(0, ctx.runOrder.length - 6)),
      mark: { type: "line", strokeWidth: 1.5, interpolate: "step-after" },
      encoding: {
        x: {
          field: "x",
          type: "quantitative",
          title: "percentile",
          scale: { type: "log", domain: [1, MAX_X] },
          axis: { values: PERCENTILE_TICKS, labelExpr: PERCENTILE_LABEL, grid: true },
        },
        y: { field: "valueMs", type: "quantitative", title: "latency (ms)", scale: { type: "log" } },
        color: {
          field: "run",
          type: "nominal",
          sort: [...ctx.runOrder],
          title: "run",
          scale: colorScale(ctx.runOrder.length),
        },
        strokeDash: {
          field: "correction",
          type: "nominal",
          title: "coordinated omission",
          scale: {
            domain: ["corrected", "uncorrected"],
            range: [
              [1, 0],
              [4, 3],
            ],
          },
        },
        tooltip: [
          { field: "run" },
          { field: "measure" },
          { field: "correction" },
          { field: "percentile", format: ".4~f" },
          { field: "valueMs", title: "ms", format: ".3~f" },
        ],
      },
    },
    resolve: { scale: { y: "shared" } },
  });
  return {
    id: "latency",
    title: "Latency percentile distribution",
    caption:
      "Latency at each percentile (log scales): solid lines measured from the intended send time (corrected for coordinated omission), dashed from the actual send.",
    spec,
  };
}

interface Figure {
  readonly name: string;
  readonly value: (r: ReportRun) => number;
}

const FIGURES: readonly Figure[] = [
  { name: "consumed (msg/s)", value: (r) => r.result.throughput.consumeMsgsPerSec },
  { name: "published (msg/s)", value: (r) => r.result.throughput.publishMsgsPerSec },
  { name: "end-to-end p99 (ms)", value: (r) => r.result.latency.endToEnd.corrected.p99Ms },
  { name: "end-to-end p99.9 (ms)", value: (r) => r.result.latency.endToEnd.corrected.p999Ms },
  { name: "publish p99 (ms)", value: (r) => r.result.latency.publish.corrected.p99Ms },
  { name: "max backlog (msgs)", value: (r) => r.result.backlog.maxMsgs },
];

/**
 * Bars across the runs of a matrix, grouped by the first varied parameter and split by the others
 * (push vs pull × adapter); when comparing sets, grouped by run and split by set.
 */
function comparisonChart(ctx: ChartContext): ChartDef | null {
  if (ctx.runs.length < 2) return null;
  const varied = variedDimensions(ctx.runs);
  let groupTitle: string;
  let splitTitle: string | null;
  let group: (r: ReportRun) => string;
  let split: (r: ReportRun) => string | null;
  if (ctx.multiSet) {
    groupTitle = "run";
    splitTitle = "set";
    group = ctx.label;
    split = (r) => r.set;
  } else if (varied.length === 0) {
    groupTitle = "run";
    splitTitle = null;
    group = ctx.label;
    split = () => null;
  } else {
    const [first, ...rest] = varied as [string, ...string[]];
    groupTitle = first;
    splitTitle = rest.length > 0 ? rest.join(", ") : null;
    group = (r) => dimensions(r.result).get(first) ?? "-";
    split = (r) => (rest.length > 0 ? dimensionLabel(r.result, rest) : null);
  }
  const values = ctx.runs.flatMap((r) =>
    FIGURES.map((f) => ({
      run: ctx.label(r),
      set: r.set,
      figure: f.name,
      group: group(r),
      split: split(r),
      value: f.value(r),
    })),
  );
  const groupCount = unique(values.map((v) => v.group)).length;
  // Room for each group's label (its longest line) and its bars.
  const longestLine = Math.max(...values.flatMap((v) => v.group.split(", ").map((l) => l.length)));
  const panelWidth = Math.max(
    240,
    groupCount * Math.max(7 * longestLine + 10, 14 * unique(values.map((v) => v.split)).length),
  );
  // Matrix order (the order the runs ran), not alphabetical: rate=5000 before rate=20000.
  const splitOrder = ctx.multiSet ? [...ctx.setLabels] : unique(values.map((v) => v.split));
  const splitCount = splitOrder.length;
  const encoding: Record<string, unknown> = {
    x: {
      field: "group",
      type: "nominal",
      title: groupTitle,
      sort: unique(values.map((v) => v.group)),
      // Run names break at their commas, one parameter a line.
      axis: { labelAngle: 0, labelLimit: 0, labelExpr: "split(datum.label, ', ')" },
    },
    y: { field: "value", type: "quantitative", title: null },
    tooltip: [
      { field: "run" },
      ...(ctx.multiSet ? [{ field: "set" }] : []),
      { field: "figure" },
      { field: "value", format: ",.3~f" },
    ],
  };
  if (splitTitle !== null) {
    encoding.xOffset = {
      field: "split",
      type: "nominal",
      sort: splitOrder,
    };
    encoding.color = {
      field: "split",
      type: "nominal",
      title: splitTitle,
      sort: splitOrder,
      scale: colorScale(splitCount),
    };
  } else {
    encoding.color = { value: "#4c78a8" };
  }
  const spec = asSpec({
    $schema: SCHEMA,
    config: CONFIG,
    data: { values },
    facet: { field: "figure", type: "nominal", sort: FIGURES.map((f) => f.name), title: null },
    columns: 3,
    spec: { width: panelWidth, height: 160, mark: { type: "bar", tooltip: true }, encoding },
    resolve: { scale: { y: "independent" } },
  });
  return {
    id: "comparison",
    title: ctx.multiSet ? "Comparison across sets" : "Comparison across the matrix",
    caption: ctx.multiSet
      ? "Each figure per run, one bar per result set. Latencies are corrected for coordinated omission."
      : `Each figure per run, grouped by ${groupTitle}${splitTitle ? `, split by ${splitTitle}` : ""}. Latencies are corrected for coordinated omission.`,
    spec,
  };
}

/**
 * Latency and achieved publish rate against the offered rate, when the matrix sweeps the rate: one
 * colour per system/mode, one dash per percentile; the dashed grey diagonal is "achieved = offered".
 */
function rateChart(ctx: ChartContext): ChartDef | null {
  const key = rateDimension(ctx.runs);
  if (key === null) return null;
  const others = variedDimensions(ctx.runs).filter((k) => k !== key);
  const values: Record<string, unknown>[] = [];
  const offeredRates = new Set<number>();
  for (const r of ctx.runs) {
    const offered = r.result.workload.matrix[key];
    if (!isRate(offered)) continue;
    offeredRates.add(offered);
    const series =
      [ctx.multiSet ? r.set : null, others.length > 0 ? dimensionLabel(r.result, others) : null]
        .filter((s) => s !== null)
        .join(" / ") || r.result.workload.name;
    const e = r.result.latency.endToEnd.corrected;
    for (const [percentile, v] of [
      ["p50", e.p50Ms],
      ["p99", e.p99Ms],
      ["p99.9", e.p999Ms],
    ] as const) {
      if (v > 0) values.push({ kind: "latency", run: ctx.label(r), offered, series, percentile, valueMs: v });
    }
    values.push({
      kind: "throughput",
      run: ctx.label(r),
      offered,
      series,
      published: r.result.throughput.publishMsgsPerSec,
    });
  }
  for (const offered of offeredRates) values.push({ kind: "ideal", offered, published: offered });
  const ticks = [...offeredRates].sort((a, b) => a - b);
  const x = {
    field: "offered",
    type: "quantitative",
    title: `offered rate: ${key} (msg/s)`,
    axis: { values: ticks, format: "~s" },
  };
  const color = {
    field: "series",
    type: "nominal",
    title: others.join(", ") || (ctx.multiSet ? "set" : "workload"),
    scale: colorScale(unique(values.map((v) => v.series)).length),
  };
  const spec = asSpec({
    $schema: SCHEMA,
    config: CONFIG,
    data: { values },
    hconcat: [
      {
        width: 380,
        height: 240,
        transform: [{ filter: "datum.kind === 'latency'" }],
        encoding: {
          x,
          y: {
            field: "valueMs",
            type: "quantitative",
            title: "end-to-end latency (ms)",
            scale: { type: "log" },
          },
          color,
          tooltip: [
            { field: "run" },
            { field: "percentile" },
            { field: "valueMs", title: "ms", format: ".3~f" },
          ],
        },
        layer: [
          {
            mark: { type: "line", strokeWidth: 1.5 },
            encoding: {
              strokeDash: {
                field: "percentile",
                type: "nominal",
                sort: ["p50", "p99", "p99.9"],
                title: "percentile",
                scale: {
                  domain: ["p50", "p99", "p99.9"],
                  range: [
                    [1, 0],
                    [6, 3],
                    [2, 2],
                  ],
                },
              },
            },
          },
          { mark: { type: "point", filled: true, size: 30 } },
        ],
      },
      {
        width: 300,
        height: 240,
        layer: [
          {
            transform: [{ filter: "datum.kind === 'ideal'" }],
            mark: { type: "line", color: "#aaa", strokeDash: [4, 4] },
            encoding: { x, y: { field: "published", type: "quantitative" } },
          },
          {
            transform: [{ filter: "datum.kind === 'throughput'" }],
            mark: { type: "line", point: { filled: true, size: 30 }, strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: "published", type: "quantitative", title: "achieved publish rate (msg/s)" },
              color,
              tooltip: [{ field: "run" }, { field: "published", format: ",.0f" }],
            },
          },
        ],
      },
    ],
    resolve: { scale: { color: "shared" } },
  });
  return {
    id: "latency-vs-rate",
    title: "Latency vs offered rate",
    caption: `End-to-end latency (corrected) and achieved publish rate as ${key} sweeps. Where latency turns up or the rate falls below the grey diagonal, the system is past its knee.`,
    spec,
  };
}
