/**
 * The report's charts as Vega-Lite specs, data inlined so a spec renders anywhere (Node, a browser,
 * the Vega editor) without fetching. Every chart uses one small-multiples layout (`layout.ts`): the
 * same panels in the same order and the same colour for a series in every chart, so a reader who
 * found "rabbitmq, pull" in one finds it at once in the next. When result sets are compared, the
 * set is the series: old and new share each panel.
 */
import type { TopLevelSpec } from "vega-lite";
import { figuresChart } from "./chart-figures.js";
import { percentileChart } from "./chart-percentiles.js";
import { type FindMaxMark, rateChart } from "./chart-rate.js";
import { timelineChart } from "./chart-timeline.js";
import { measured, type ReportRun, runLabels } from "./figures.js";
import { chooseLayout } from "./layout.js";

export interface ChartDef {
  /** File stem: charts/<id>.svg, .png, .vl.json. */
  readonly id: string;
  readonly title: string;
  /** One sentence under the title: how to read it. */
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

/** The charts for these runs, in reading order; a chart without data to show is left out. */
export function buildCharts(
  runs: readonly ReportRun[],
  setLabels: readonly string[],
  /** `rate: find-max` searches: the rate found and the p99 bound, drawn on the latency-vs-rate chart. */
  findMax: readonly FindMaxMark[] = [],
): ChartDef[] {
  const done = measured(runs);
  if (done.length === 0) return [];
  const layout = chooseLayout(done);
  const labels = runLabels(done);
  const label = (r: ReportRun) => labels.get(r) ?? r.result.runId;
  const charts = [
    timelineChart(done, layout),
    figuresChart(done, layout, label),
    percentileChart(done, layout, "endToEnd"),
    percentileChart(done, layout, "publish"),
    rateChart({ runs: done, multiSet: setLabels.length > 1, label, findMax }),
  ];
  return charts.filter((c): c is ChartDef => c !== null);
}
