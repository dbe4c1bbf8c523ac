/**
 * Latency by percentile, HdrHistogram-style (x is 1/(1-p) on a log axis: 50 %, 90 %, 99 % … max),
 * one panel per small multiple, the runs of a panel in their series colours, labelled at the max.
 * Solid: from the intended send time (corrected for coordinated omission); dashed: from the actual send.
 */
import type { LatencyPair } from "../core/results.js";
import {
  asSpec,
  CONFIG,
  decades,
  logDomain,
  MS_LABEL_EXPR,
  SCHEMA,
  seriesColors,
  spreadLabels,
} from "./chart-style.js";
import type { ChartDef } from "./charts.js";
import type { ReportRun } from "./figures.js";
import { type Layout, panelWords } from "./layout.js";
import { MAX_X, percentileDistribution } from "./percentiles.js";

const WIDTH = 300;
const HEIGHT = 170;
const COLUMNS = 3;
const LABEL_GAP = 11;

/** The percentile axis ticks: 50%, 90%, 99%, 99.9%, 99.99%, max. */
const PERCENTILE_TICKS = [2, 10, 100, 1000, 10_000, MAX_X];
const PERCENTILE_LABEL = `datum.value >= ${MAX_X} ? 'max' : format(100 - 100 / datum.value, '.4~f') + '%'`;

interface Point {
  readonly p: number;
  readonly s: string;
  readonly correction: "corrected" | "uncorrected";
  readonly x: number;
  readonly percentile: number;
  readonly v: number;
  readonly g: string;
}

function points(p: number, s: string, key: string, pair: LatencyPair): Point[] {
  const out: Point[] = [];
  for (const correction of ["corrected", "uncorrected"] as const) {
    for (const d of percentileDistribution(pair[correction])) {
      if (d.valueMs <= 0) continue; // a log axis has no 0; sub-microsecond values say nothing here
      out.push({
        p,
        s,
        correction,
        x: d.x,
        percentile: d.percentile,
        v: d.valueMs,
        g: `${key}:${correction}`,
      });
    }
  }
  return out;
}

export function percentileChart(
  runs: readonly ReportRun[],
  layout: Layout,
  measure: "endToEnd" | "publish",
): ChartDef | null {
  const data: Point[] = [];
  runs.forEach((run, i) => {
    const p = layout.panels.indexOf(layout.panelOf(run));
    data.push(...points(p, layout.seriesOf(run), String(i), run.result.latency[measure]));
  });
  if (data.length === 0) return null;
  const domain = logDomain(data.map((d) => d.v));
  const showLabels = layout.series.length > 1;
  const labels: { p: number; s: string; v: number }[] = [];
  if (showLabels) {
    const span = Math.log10(domain[1]) - Math.log10(domain[0]);
    const toPx = (v: number) => HEIGHT * (1 - (Math.log10(v) - Math.log10(domain[0])) / span);
    const toV = (px: number) => 10 ** (Math.log10(domain[0]) + (1 - px / HEIGHT) * span);
    layout.panels.forEach((_, p) => {
      const ends = data.filter((d) => d.p === p && d.correction === "corrected" && d.x >= MAX_X);
      const placed = spreadLabels(
        ends.map((d) => toPx(d.v)),
        LABEL_GAP,
        HEIGHT,
      );
      ends.forEach((d, k) => {
        labels.push({ p, s: d.s, v: toV(placed[k] as number) });
      });
    });
  }
  const color = {
    field: "s",
    type: "nominal",
    title: layout.seriesTitle || null,
    scale: { domain: [...layout.series], range: seriesColors(layout.series) },
    ...(showLabels ? {} : { legend: null }),
  };
  const panel = (name: string, p: number) => ({
    width: WIDTH,
    height: HEIGHT,
    title: { text: name, fontSize: 12 },
    layer: [
      {
        data: { name: "points" },
        transform: [{ filter: `datum.p === ${p}` }],
        mark: { type: "line", strokeWidth: 1.5, interpolate: "step-after", clip: true },
        encoding: {
          x: {
            field: "x",
            type: "quantitative",
            title: "percentile",
            scale: { type: "log", domain: [1, MAX_X], nice: false },
            axis: { values: PERCENTILE_TICKS, labelExpr: PERCENTILE_LABEL, grid: true, labelFontSize: 9 },
          },
          y: {
            field: "v",
            type: "quantitative",
            title: "latency",
            scale: { type: "log", domain, nice: false },
            axis: { values: decades(...domain), labelExpr: MS_LABEL_EXPR },
          },
          color,
          strokeDash: {
            field: "correction",
            type: "nominal",
            title: "measured from",
            scale: {
              domain: ["corrected", "uncorrected"],
              range: [
                [1, 0],
                [4, 3],
              ],
            },
            legend: {
              labelExpr: "datum.label === 'corrected' ? 'intended send (corrected)' : 'actual send'",
            },
          },
          detail: { field: "g" },
          tooltip: [
            { field: "s", title: layout.seriesTitle || "run" },
            { field: "correction" },
            { field: "percentile", format: ".4~f" },
            { field: "v", title: "ms", format: ".3~f" },
          ],
        },
      },
      ...(showLabels
        ? [
            {
              data: { name: "labels" },
              transform: [{ filter: `datum.p === ${p}` }],
              mark: {
                type: "text",
                align: "left",
                baseline: "middle",
                dx: 4,
                fontSize: 10,
                fontWeight: "bold",
              },
              encoding: {
                x: { datum: MAX_X, type: "quantitative" },
                y: { field: "v", type: "quantitative" },
                text: { field: "s" },
                color,
              },
            },
          ]
        : []),
    ],
  });
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < layout.panels.length; i += COLUMNS) {
    rows.push({
      hconcat: layout.panels.slice(i, i + COLUMNS).map((name, k) => panel(name, i + k)),
      spacing: showLabels ? 20 + 7 * Math.max(...layout.series.map((s) => s.length)) : 30,
    });
  }
  const spec = asSpec({
    $schema: SCHEMA,
    config: CONFIG,
    datasets: { points: data, labels },
    vconcat: rows,
    spacing: 18,
    resolve: {
      scale: { color: "shared", strokeDash: "shared" },
      legend: { color: "shared", strokeDash: "shared" },
    },
  });
  const what = measure === "endToEnd" ? "End-to-end" : "Publish";
  return {
    id: measure === "endToEnd" ? "latency" : "publish-latency",
    title: `${what} latency by percentile`,
    caption:
      `${what} latency at each percentile after warmup (log scales), one panel per ${panelWords(layout) || "run"}. ` +
      "Solid: measured from the intended send time (corrected for coordinated omission); dashed: from the actual send.",
    spec,
  };
}
