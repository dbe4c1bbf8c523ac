/**
 * Latency histograms: HdrHistogram (hdr-histogram-js) in microseconds, 3 significant digits,
 * auto-resizing so no value is ever clipped.
 */
import { build, encodeIntoCompressedBase64, type Histogram } from "hdr-histogram-js";
import { valueAtPercentile } from "../../core/percentile.js";
import type { LatencyPercentiles } from "../../core/results.js";

export function newHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** Latency in ms → the histogram's integer microseconds; negatives (clock skew) count as 0. */
export function toMicros(ms: number): number {
  return ms > 0 ? Math.round(ms * 1000) : 0;
}

const ms = (us: number) => Math.round(us) / 1000;

export function percentiles(h: Histogram): LatencyPercentiles {
  if (h.totalCount === 0) {
    return {
      count: 0,
      minMs: 0,
      meanMs: 0,
      p50Ms: 0,
      p75Ms: 0,
      p90Ms: 0,
      p95Ms: 0,
      p99Ms: 0,
      p999Ms: 0,
      p9999Ms: 0,
      maxMs: 0,
      histogram: encodeIntoCompressedBase64(h),
    };
  }
  // Every percentile at most the max (core/percentile.ts): HdrHistogram answers a bucket's upper end.
  const at = (p: number) => ms(valueAtPercentile(h, p));
  return {
    count: h.totalCount,
    minMs: h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : at(0),
    meanMs: Math.round(h.mean) / 1000,
    p50Ms: at(50),
    p75Ms: at(75),
    p90Ms: at(90),
    p95Ms: at(95),
    p99Ms: at(99),
    p999Ms: at(99.9),
    p9999Ms: at(99.99),
    maxMs: ms(h.maxValue),
    histogram: encodeIntoCompressedBase64(h),
  };
}
