import { describe, expect, it } from "vitest";
import {
  LAST_PERCENTILE_X,
  MAX_X,
  percentileDistribution,
  percentileLadder,
  quantileMap,
} from "./percentiles.js";
import { percentilesOf } from "./synthetic.js";

/** 1..10 000 µs once each: the value at percentile p is p% of 10 ms. */
const uniform = percentilesOf(Array.from({ length: 10_000 }, (_, i) => i + 1));

describe("percentileLadder", () => {
  it("halves the remaining distance every `ticks` steps, up to the sample count", () => {
    expect(percentileLadder(1000, 1, 1e9)).toEqual([
      0, 50, 75, 87.5, 93.75, 96.875, 98.4375, 99.21875, 99.609375, 99.8046875,
    ]);
    expect(percentileLadder(4, 2, 1e9).map((p) => p.toFixed(3))).toEqual([
      "0.000",
      "29.289",
      "50.000",
      "64.645",
      "75.000",
    ]);
  });
});

describe("percentileDistribution", () => {
  const points = percentileDistribution(uniform);

  it("reads the histogram: value at p is p% of the range (3 significant digits)", () => {
    for (const p of points.filter((x) => x.percentile < 100)) {
      expect(p.valueMs).toBeCloseTo((p.percentile / 100) * 10, 1);
      expect(p.x).toBeCloseTo(1 / (1 - p.percentile / 100), 6);
    }
  });

  it("stops at 99.99% and puts the stored max one decade further", () => {
    const last = points.at(-1);
    expect(last).toEqual({ percentile: 100, x: MAX_X, valueMs: 10 });
    expect(Math.max(...points.slice(0, -1).map((p) => p.x))).toBeLessThanOrEqual(
      LAST_PERCENTILE_X * (1 + 1e-9),
    );
  });

  it("falls back to the stored percentiles when the histogram is missing", () => {
    const pts = percentileDistribution({ ...uniform, histogram: "" });
    expect(pts.map((p) => p.percentile)).toEqual([50, 75, 90, 95, 99, 99.9, 99.99, 100]);
    expect(pts.map((p) => p.valueMs)).toEqual([
      uniform.p50Ms,
      uniform.p75Ms,
      uniform.p90Ms,
      uniform.p95Ms,
      uniform.p99Ms,
      uniform.p999Ms,
      uniform.p9999Ms,
      uniform.maxMs,
    ]);
  });

  it("draws nothing for an empty measure", () => {
    expect(percentileDistribution(percentilesOf([]))).toEqual([]);
  });
});

describe("quantileMap (OMB aggregated*Quantiles)", () => {
  it("maps percentile → ms with 100 ticks per half distance, ending at 100 = max", () => {
    const q = quantileMap(uniform);
    expect(q["50.0"]).toBeCloseTo(5, 1);
    expect(q["99.21875"]).toBeCloseTo(9.92, 1);
    expect(q["100.0"]).toBe(10);
    const keys = Object.keys(q).map(Number);
    expect(keys.length).toBeGreaterThan(1000);
    expect(keys.every((k, i) => i === 0 || k > (keys[i - 1] as number))).toBe(true);
  });
});
