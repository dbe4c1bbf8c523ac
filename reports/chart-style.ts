/**
 * What every chart shares: the Vega-Lite schema, fonts and sizes, the series palette, and the
 * helpers that build grids of panels (vconcat of hconcat rows, each panel filtering shared data).
 */
import type { TopLevelSpec } from "vega-lite";

export const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
/** resvg is given DejaVu; browsers fall back to their sans-serif. */
export const FONT = "DejaVu Sans, Verdana, sans-serif";

export const CONFIG = {
  font: FONT,
  background: "white",
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: "normal" as const, labelColor: "#444" },
  // vega measures text by estimate in Node (no canvas), generously: limits high so nothing is cut.
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 0, titleLimit: 0, orient: "top" as const },
  title: { fontSize: 12, anchor: "start" as const, fontWeight: "bold" as const, offset: 4 },
  concat: { spacing: 12 },
};

/**
 * Vega's tableau10, in order: distinguishable on screen and in print, and the lines of a panel
 * (at most `MAX_SERIES`) never share a colour.
 */
export const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#54a24b",
  "#e45756",
  "#72b7b2",
  "#b279a2",
  "#eeca3b",
  "#9d755d",
  "#ff9da6",
  "#bab0ac",
] as const;

export const FAULT_COLOR = "#d62728";
export const WARMUP_COLOR = "#999";

/** Colours for these series names (one series: the first colour). */
export function seriesColors(series: readonly string[]): string[] {
  return series.map((_, i) => PALETTE[i % PALETTE.length] as string);
}

/**
 * Specs are built as plain objects; vega-lite's TopLevelSpec union is too deep to check object
 * literals against usefully. Every chart is compiled and rendered in the tests instead.
 */
export function asSpec(spec: Record<string, unknown>): TopLevelSpec {
  return spec as unknown as TopLevelSpec;
}

export function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** Axis labels for milliseconds on a log axis: `50 µs`, `3 ms`, `2 s`. */
export const MS_LABEL_EXPR =
  "datum.value >= 1000 ? format(datum.value / 1000, '~g') + ' s' : datum.value < 1 ? format(datum.value * 1000, '~g') + ' µs' : format(datum.value, '~g') + ' ms'";

/** Powers of ten covering [lo, hi] (a log axis labelled once a decade). */
export function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

/** A log domain of whole decades around the values (never empty, never ≤ 0). */
export function logDomain(values: readonly number[]): [number, number] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [0.1, 10];
  const lo = 10 ** Math.floor(Math.log10(Math.min(...positive)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive)));
  return [lo, hi > lo ? hi : lo * 10];
}

/** A linear domain from 0 with room above; [0, 1] when every value is 0 (no lone `0.000000` tick). */
export function zeroDomain(values: readonly number[]): [number, number] {
  const max = Math.max(0, ...values.filter(Number.isFinite));
  return [0, max > 0 ? max * 1.05 : 1];
}

/**
 * Moves labels apart so none overlaps another: `at` are pixel positions (top = 0), `gap` the least
 * distance between two; keeps their order and stays within [0, height] where it can.
 */
export function spreadLabels(at: readonly number[], gap: number, height: number): number[] {
  const order = at.map((y, i) => ({ y, i })).sort((a, b) => a.y - b.y);
  const placed = order.map((o) => Math.min(Math.max(o.y, 0), height));
  for (let k = 1; k < placed.length; k++) {
    placed[k] = Math.max(placed[k] as number, (placed[k - 1] as number) + gap);
  }
  // Pushed past the bottom: shift the whole run back up, as far as the top allows.
  const overflow = (placed[placed.length - 1] ?? 0) - height;
  if (overflow > 0) {
    for (let k = placed.length - 1; k >= 0; k--) {
      const limit = k === placed.length - 1 ? height : (placed[k + 1] as number) - gap;
      placed[k] = Math.min(placed[k] as number, limit);
    }
  }
  const out = new Array<number>(at.length);
  order.forEach((o, k) => {
    out[o.i] = placed[k] as number;
  });
  return out;
}
