/**
 * Percentile distributions from the HdrHistograms in results.json (compressed base64, microseconds),
 * drawn the way HdrHistogram's plotter draws them: x is 1/(1-p), so 50% → 2, 99% → 100, 99.99% →
 * 10 000, on a log axis, and the maximum sits one decade past the last percentile shown.
 */
import { decodeFromCompressedBase64, type Histogram } from "hdr-histogram-js";
import { valueAtPercentile as clampedAt } from "../core/percentile.js";
import type { LatencyPercentiles } from "../core/results.js";

/** The last percentile drawn before the max (99.99%, x = 10^4). */
export const LAST_PERCENTILE_X = 10_000;
/** Where the max is drawn (x = 10^5, labelled "max"). */
export const MAX_X = 100_000;

export interface PercentilePoint {
  /** 0 < percentile ≤ 100; the max is 100. */
  readonly percentile: number;
  /** 1 / (1 - percentile/100); `MAX_X` for the max. */
  readonly x: number;
  readonly valueMs: number;
}

// A report reads each histogram several times (chart, tables, OMB export): decode it once.
const decoded = new Map<string, Histogram | null>();
const DECODED_KEPT = 256;

/** Decodes a results.json histogram; null when it is empty or not decodable (old or hand-made files). */
export function decodeHistogram(encoded: string): Histogram | null {
  if (encoded.length === 0) return null;
  const cached = decoded.get(encoded);
  if (cached !== undefined) return cached;
  let h: Histogram | null;
  try {
    const d = decodeFromCompressedBase64(encoded, 32, false);
    h = d.totalCount > 0 ? d : null;
  } catch {
    h = null;
  }
  if (decoded.size >= DECODED_KEPT) decoded.clear();
  decoded.set(encoded, h);
  return h;
}

/**
 * The percentile ladder of HdrHistogram's percentile iterator: `ticksPerHalfDistance` points per
 * halving of the remaining distance to 100%, stopping where 1/(1-p) passes `limitX` or the sample
 * count (beyond it a percentile says nothing the max does not).
 */
export function percentileLadder(count: number, ticksPerHalfDistance: number, limitX: number): number[] {
  const out: number[] = [];
  const lastX = Math.min(limitX, Math.max(2, count));
  for (let i = 0; ; i++) {
    const x = 2 ** (i / ticksPerHalfDistance);
    if (x > lastX * (1 + 1e-9)) break;
    out.push(100 * (1 - 1 / x));
  }
  return out;
}

/** Points for one latency measure: from the histogram when present, else from the stored percentiles. */
export function percentileDistribution(lat: LatencyPercentiles, ticksPerHalfDistance = 4): PercentilePoint[] {
  if (lat.count === 0) return [];
  const h = decodeHistogram(lat.histogram);
  if (h === null) return fromSummary(lat);
  const points: PercentilePoint[] = [];
  for (const p of percentileLadder(h.totalCount, ticksPerHalfDistance, LAST_PERCENTILE_X)) {
    if (p <= 0) continue;
    points.push({ percentile: p, x: 1 / (1 - p / 100), valueMs: clampedAt(h, p, lat.maxMs * 1000) / 1000 });
  }
  points.push({ percentile: 100, x: MAX_X, valueMs: lat.maxMs });
  return points;
}

function fromSummary(lat: LatencyPercentiles): PercentilePoint[] {
  const table: readonly [number, number][] = [
    [50, lat.p50Ms],
    [75, lat.p75Ms],
    [90, lat.p90Ms],
    [95, lat.p95Ms],
    [99, lat.p99Ms],
    [99.9, lat.p999Ms],
    [99.99, lat.p9999Ms],
  ];
  const points: PercentilePoint[] = table
    .filter(([p]) => 1 / (1 - p / 100) <= Math.max(2, lat.count) * (1 + 1e-9))
    .map(([p, v]) => ({ percentile: p, x: 1 / (1 - p / 100), valueMs: v }));
  points.push({ percentile: 100, x: MAX_X, valueMs: lat.maxMs });
  return points;
}

/**
 * OpenMessaging Benchmark's `aggregated*LatencyQuantiles`: percentile → milliseconds over the
 * percentile iterator with 100 ticks per half distance (what OMB's WorkloadGenerator writes).
 */
export function quantileMap(lat: LatencyPercentiles): Record<string, number> {
  const out: Record<string, number> = {};
  const h = decodeHistogram(lat.histogram);
  if (h === null) {
    for (const p of fromSummary(lat)) out[percentileKey(p.percentile)] = p.valueMs;
    return out;
  }
  for (const p of percentileLadder(h.totalCount, 100, Number.POSITIVE_INFINITY)) {
    if (p <= 0) continue;
    out[percentileKey(p)] = clampedAt(h, p, lat.maxMs * 1000) / 1000;
  }
  // The stored max, not the decoded one: a decoded histogram reports its bucket's upper bound.
  out[percentileKey(100)] = lat.maxMs;
  return out;
}

/** The value at one percentile, read from the histogram, or `fallback` when there is none. */
export function valueAtPercentile(lat: LatencyPercentiles, percentile: number, fallback: number): number {
  const h = decodeHistogram(lat.histogram);
  return h === null ? fallback : clampedAt(h, percentile, lat.maxMs * 1000) / 1000;
}

/** Java's Double.toString spelling (`50.0`, `99.21875`), as OMB's TreeMap<Double, ...> writes keys. */
function percentileKey(p: number): string {
  const r = Math.round(p * 1e6) / 1e6;
  return Number.isInteger(r) ? r.toFixed(1) : String(r);
}
