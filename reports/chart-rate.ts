/**
 * Latency and achieved publish rate against the offered rate, when the matrix sweeps the rate (a
 * matrix axis named `*rate*` with numbers): one colour per system/mode, one dash per percentile;
 * the dashed grey diagonal is "achieved = offered".
 */

import { trialRunId } from "../core/find-max.js";
import { asSpec, CONFIG, SCHEMA, unique } from "./chart-style.js";
import type { ChartDef } from "./charts.js";
import {
  dimensionLabel,
  fmtRate,
  isRate,
  type ReportRun,
  rateDimension,
  variedDimensions,
} from "./figures.js";

function colorScale(n: number): { scheme: string } {
  return { scheme: n > 10 ? "tableau20" : "tableau10" };
}

/** What a `rate: find-max` search adds to the chart: the rate it found (the knee) and its p99 bound. */
export interface FindMaxMark {
  /** The result set and planned run the search was for: its knee takes the colour of their curve. */
  readonly set: string;
  readonly runId: string;
  /** The highest rate that held; null when none did (only the bound is drawn). */
  readonly maxRate: number | null;
  /** A rate held only with end-to-end p99 at most this. */
  readonly p99Ms: number;
}

/**
 * Rates spanning at least two doublings (a find-max search, a geometric sweep) are drawn on a log
 * axis, where each doubling takes the same width and the bisection's trials near the knee do not
 * crowd into a corner.
 */
const LOG_RATE_SPAN = 4;

const LATENCY_WIDTH = 380;
/** Pixels between the rows of knee labels above the latency panel. */
const KNEE_LABEL_ROW_PX = 12;

/**
 * Latency and achieved publish rate against the offered rate, when the matrix sweeps the rate: one
 * colour per system/mode, one dash per percentile; the dashed grey diagonal is "achieved = offered".
 */
export function rateChart(ctx: {
  readonly runs: readonly ReportRun[];
  readonly multiSet: boolean;
  readonly label: (r: ReportRun) => string;
  /** `rate: find-max` searches among these runs: the rate found and the p99 bound, drawn as rules. */
  readonly findMax?: readonly FindMaxMark[];
}): ChartDef | null {
  const key = rateDimension(ctx.runs);
  if (key === null) return null;
  const others = variedDimensions(ctx.runs).filter((k) => k !== key);
  const seriesOf = (r: ReportRun) =>
    [ctx.multiSet ? r.set : null, others.length > 0 ? dimensionLabel(r.result, others) : null]
      .filter((s) => s !== null)
      .join(" / ") || r.result.workload.name;
  const values: Record<string, unknown>[] = [];
  const offeredRates = new Set<number>();
  for (const r of ctx.runs) {
    const offered = r.result.workload.matrix[key];
    if (!isRate(offered)) continue;
    offeredRates.add(offered);
    const series = seriesOf(r);
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
  const logRates = ticks.length > 1 && ticks[ticks.length - 1]! / ticks[0]! >= LOG_RATE_SPAN;
  const rateScale = logRates ? { type: "log", nice: false } : {};
  const x = {
    field: "offered",
    type: "quantitative",
    title: `offered rate: ${key} (msg/s${logRates ? ", log scale" : ""})`,
    scale: rateScale,
    // Three significant digits (2.66k, 27.5k): the axis's own "~s" rounds a bisected 27,500 to "28k".
    axis: { values: ticks, labelExpr: "format(datum.value, '.3~s')", labelOverlap: "greedy" },
  };
  const color = {
    field: "series",
    type: "nominal",
    title: others.join(", ") || (ctx.multiSet ? "set" : "workload"),
    scale: colorScale(unique(values.map((v) => v.series)).length),
  };
  const latency = {
    x,
    y: {
      field: "valueMs",
      type: "quantitative",
      title: "end-to-end latency (ms)",
      scale: { type: "log" },
    },
    color,
    tooltip: [{ field: "run" }, { field: "percentile" }, { field: "valueMs", title: "ms", format: ".3~f" }],
  };
  // Each knee on its curve, in its colour, its label on a row of its own above the frame (several
  // searches' knees may lie close together). A knee whose trial is not among the runs has no curve
  // to mark and is left out.
  let row = 0;
  for (const mark of ctx.findMax ?? []) {
    const { maxRate } = mark;
    if (maxRate === null) continue;
    const trial = ctx.runs.find(
      (r) => r.set === mark.set && r.result.runId === trialRunId(mark.runId, maxRate),
    );
    if (trial === undefined) continue;
    values.push({
      kind: "knee",
      offered: maxRate,
      series: seriesOf(trial),
      labelY: -3 - KNEE_LABEL_ROW_PX * row++,
      label: `find-max ${fmtRate(maxRate)} msg/s`,
    });
  }
  // The bound each search held the p99 to (dark grey: every series colour is taken): a trial whose p99 point lies above it failed.
  for (const p99Ms of unique((ctx.findMax ?? []).map((m) => m.p99Ms)))
    values.push({ kind: "bound", valueMs: p99Ms, label: `p99 ≤ ${p99Ms} ms` });
  const spec = asSpec({
    $schema: SCHEMA,
    config: CONFIG,
    data: { values },
    hconcat: [
      {
        width: LATENCY_WIDTH,
        height: 240,
        layer: [
          {
            transform: [{ filter: "datum.kind === 'latency'" }],
            mark: { type: "line", strokeWidth: 1.5 },
            encoding: {
              ...latency,
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
          {
            transform: [{ filter: "datum.kind === 'latency'" }],
            mark: { type: "point", filled: true, size: 30 },
            encoding: latency,
          },
          // The highest sustainable rate a find-max search found: the curve's knee.
          {
            transform: [{ filter: "datum.kind === 'knee'" }],
            mark: { type: "rule", strokeDash: [2, 2], strokeWidth: 1.5 },
            encoding: { x, color },
          },
          {
            transform: [{ filter: "datum.kind === 'knee'" }],
            // Above the frame, where no curve runs.
            mark: {
              type: "text",
              align: "left",
              baseline: "bottom",
              dx: 2,
              fontSize: 10,
            },
            // labelY: pixels above the frame (no scale).
            encoding: {
              x,
              y: { field: "labelY", type: "quantitative", scale: null },
              text: { field: "label" },
              color,
            },
          },
          {
            transform: [{ filter: "datum.kind === 'bound'" }],
            mark: { type: "rule", color: "#333", strokeDash: [4, 2], opacity: 0.8 },
            encoding: { y: latency.y },
          },
          {
            transform: [{ filter: "datum.kind === 'bound'" }],
            // Right of the frame, where no point lies.
            mark: { type: "text", align: "left", baseline: "middle", dx: 4, fontSize: 10, color: "#333" },
            encoding: { x: { value: LATENCY_WIDTH }, y: latency.y, text: { field: "label" } },
          },
        ],
      },
      {
        width: 300,
        height: 240,
        layer: [
          {
            transform: [{ filter: "datum.kind === 'ideal'" }],
            mark: { type: "line", color: "#aaa", strokeDash: [4, 4] },
            encoding: { x, y: { field: "published", type: "quantitative", scale: rateScale } },
          },
          {
            transform: [{ filter: "datum.kind === 'throughput'" }],
            mark: { type: "line", point: { filled: true, size: 30 }, strokeWidth: 1.5 },
            encoding: {
              x,
              y: {
                field: "published",
                type: "quantitative",
                // Not "(…, log scale)": a y title longer than the panel is high pushes the chart down.
                title: "achieved publish rate (msg/s)",
                scale: rateScale,
              },
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
