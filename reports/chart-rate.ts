/**
 * Latency and achieved publish rate against the offered rate, when the matrix sweeps the rate (a
 * matrix axis named `*rate*` with numbers): one colour per system/mode, one dash per percentile;
 * the dashed grey diagonal is "achieved = offered".
 */

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

/**
 * Latency and achieved publish rate against the offered rate, when the matrix sweeps the rate: one
 * colour per system/mode, one dash per percentile; the dashed grey diagonal is "achieved = offered".
 */
export function rateChart(ctx: {
  readonly runs: readonly ReportRun[];
  readonly multiSet: boolean;
  readonly label: (r: ReportRun) => string;
  /** Highest sustainable rates found by `rate: find-max` searches among these runs, drawn as rules. */
  readonly knees?: readonly number[];
}): ChartDef | null {
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
  for (const knee of ctx.knees ?? [])
    values.push({ kind: "knee", offered: knee, label: `find-max ${fmtRate(knee)}` });
  const spec = asSpec({
    $schema: SCHEMA,
    config: CONFIG,
    data: { values },
    hconcat: [
      {
        width: 380,
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
            mark: { type: "rule", color: "#444", strokeDash: [2, 2] },
            encoding: { x },
          },
          {
            transform: [{ filter: "datum.kind === 'knee'" }],
            mark: { type: "text", align: "left", baseline: "top", dx: 3, dy: 2, fontSize: 10, color: "#444" },
            encoding: { x, y: { value: 0 }, text: { field: "label" } },
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
