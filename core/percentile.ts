/**
 * Reading a percentile from an HdrHistogram. `getValueAtPercentile` answers with the upper end of
 * the value's bucket (3 significant digits: up to 0.1 % above any value recorded), so a high
 * percentile can come out above the largest value recorded: a p99.9 of 12,526 ms beside a max of
 * 12,518 ms. No percentile may exceed the max, so every reader of a histogram (results.json, the
 * time series, the reports and the OMB export) goes through this one function.
 */
import type { Histogram } from "hdr-histogram-js";

/**
 * The value at `percentile` (0–100), in the histogram's unit, never above `max`: the largest value
 * recorded (by default the histogram's own; a decoded histogram only knows its bucket's upper end,
 * so give it the max stored beside it).
 */
export function valueAtPercentile(h: Histogram, percentile: number, max: number = h.maxValue): number {
  return Math.min(h.getValueAtPercentile(percentile), max);
}
