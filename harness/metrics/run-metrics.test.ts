import fc from "fast-check";
import { decodeFromCompressedBase64 } from "hdr-histogram-js";
import { describe, expect, it } from "vitest";
import { toOmb } from "../../reports/omb.js";
import { quantileMap } from "../../reports/percentiles.js";
import { newHistogram, percentiles } from "./latency.js";
import { RunMetrics } from "./run-metrics.js";

/** Ids of `n` messages of producer process 1, sequences from `from`: what onDelivered reads. */
const ids = (n: number, from = 0): [number[], number[]] => [
  Array.from({ length: n }, () => 1),
  Array.from({ length: n }, (_, i) => from + i),
];

describe("RunMetrics", () => {
  const start = 1_000_000;
  const make = () =>
    new RunMetrics({ startMs: start, warmupS: 1, messageBytes: 1024 * 1024, groups: ["g1", "g2"] });

  it("leaves warmup out of the figures and keeps it in the time series", () => {
    const m = make();
    m.onAcked(100, start + 10, start + 10, start + 12); // warmup
    m.onAcked(50, start + 1000, start + 1001, start + 1003); // measured: 3 ms corrected, 2 ms uncorrected
    m.onAcked(50, start + 2000, start + 2000, start + 2001);
    const s = m.summary();
    expect(s.ackedMsgs).toBe(200);
    expect(s.latency.publish.corrected.count).toBe(100);
    expect(s.latency.publish.corrected.p50Ms).toBe(1);
    expect(s.latency.publish.corrected.maxMs).toBe(3);
    expect(s.latency.publish.uncorrected.maxMs).toBe(2);
    // 100 measured messages over 1.001 s after warmup
    expect(s.throughput.publishMsgsPerSec).toBeCloseTo(100 / 1.001, 1);
    expect(s.throughput.publishMBPerSec).toBeCloseTo(100 / 1.001, 1);
    expect(s.timeseries.map((t) => [t.tS, t.publishedMsgs])).toEqual([
      [1, 100],
      [2, 50],
    ]);
    expect(s.timeseries[0]?.publishP99Ms).toBe(2);
  });

  it("measures end-to-end latency from the intended and the actual send", () => {
    const m = make();
    m.onDelivered(0, 10, start + 1500, ...ids(10));
    m.onEndToEnd(10, start + 1100, start + 1400, start + 1500);
    const e2e = m.summary().latency.endToEnd;
    // HdrHistogram keeps 3 significant digits
    expect(e2e.corrected.count).toBe(10);
    expect(e2e.corrected.p50Ms).toBeCloseTo(400, -0.5);
    expect(e2e.corrected.p9999Ms).toBeCloseTo(400, -0.5);
    expect(e2e.uncorrected.p99Ms).toBeCloseTo(100, 0);
    expect(e2e.uncorrected.p99Ms).not.toBeCloseTo(400, -1);
    expect(decodeFromCompressedBase64(e2e.corrected.histogram).totalCount).toBe(10);
  });

  it("samples each second's end-to-end p50 and p99 from the intended send time", () => {
    const m = make();
    // Second 1: 90 messages 5 ms late, 10 messages 200 ms late (intended 150 ms before their send).
    m.onEndToEnd(90, start + 100, start + 100, start + 105);
    m.onEndToEnd(10, start + 100, start + 250, start + 300);
    m.sample(start + 1000);
    // Second 2: nothing arrives.
    m.sample(start + 2000);
    const [first, second] = m.summary().timeseries;
    expect(first?.e2eP50Ms).toBeCloseTo(5, 1);
    expect(first?.e2eP99Ms).toBeCloseTo(200, -0.5);
    expect(second).toMatchObject({ tS: 2, e2eP50Ms: null, e2eP99Ms: null });
  });

  it("counts backlog per group and never below zero", () => {
    const m = make();
    m.onAcked(100, start, start, start + 1);
    m.onDelivered(0, 100, start + 2, ...ids(100));
    m.onDelivered(1, 40, start + 2, ...ids(40));
    expect(m.backlog()).toBe(60);
    m.onDelivered(0, 5, start + 3, ...ids(5)); // redeliveries do not make the backlog negative
    expect(m.backlog()).toBe(60);
    m.onDelivered(1, 40, start + 4, ...ids(40)); // nor pay off what a group is still owed
    expect(m.backlog()).toBe(60);
    expect(m.deliveredTo(1)).toBe(80);
    expect(m.distinctTo(1)).toBe(40);
    m.sample(start + 1000);
    expect(m.summary()).toMatchObject({
      backlog: { maxMsgs: 60, finalMsgs: 60 },
      deliveredMsgs: { g1: 105, g2: 80 },
    });
  });

  it("reports zeros, not NaN, when nothing was measured", () => {
    const s = make().summary();
    expect(s.throughput.consumeMsgsPerSec).toBe(0);
    expect(s.latency.endToEnd.corrected).toMatchObject({ count: 0, p99Ms: 0, maxMs: 0 });
  });
});

describe("percentiles never exceed the max (issue 11, defect 6)", () => {
  const keys = ["minMs", "p50Ms", "p75Ms", "p90Ms", "p95Ms", "p99Ms", "p999Ms", "p9999Ms"] as const;

  it("the reported case: one 12,518 ms latency among fast ones", () => {
    const h = newHistogram();
    for (let i = 0; i < 99; i++) h.recordValue(300);
    h.recordValue(12_518_000); // µs: HdrHistogram's bucket for it ends at 12,525,567
    expect(h.getValueAtPercentile(99.9)).toBeGreaterThan(12_518_000); // the library alone
    const p = percentiles(h);
    expect(p.maxMs).toBe(12_518);
    expect(p.p999Ms).toBe(12_518);
    expect(p.p9999Ms).toBe(12_518);
  });

  it("for any latencies: in results.json, the time series and the OMB quantiles", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 60_000_000 }), { minLength: 1, maxLength: 300 }),
        (us) => {
          const h = newHistogram();
          for (const v of us) h.recordValue(v);
          const p = percentiles(h);
          for (const k of keys) expect(p[k]).toBeLessThanOrEqual(p.maxMs);
          for (let i = 1; i < keys.length; i++) expect(p[keys[i]!]).toBeGreaterThanOrEqual(p[keys[i - 1]!]);
          for (const v of Object.values(quantileMap(p))) expect(v).toBeLessThanOrEqual(p.maxMs);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("in the per-second series and an OMB export of a run", () => {
    const start = 5_000_000;
    const m = new RunMetrics({ startMs: start, warmupS: 0, messageBytes: 100, groups: ["g1"] });
    for (let i = 0; i < 50; i++) m.onAcked(1, start + 100, start + 100, start + 100.3);
    m.onAcked(1, start + 100, start + 100, start + 100 + 12_518); // publish latency 12,518 ms
    m.onDelivered(0, 51, start + 12_700, ...ids(51));
    m.onEndToEnd(50, start + 100, start + 100, start + 100.5);
    m.onEndToEnd(1, start + 100, start + 100, start + 100 + 12_518);
    m.sample(start + 13_000);
    const s = m.summary();
    const publish = s.latency.publish.corrected;
    expect(publish.p9999Ms).toBeLessThanOrEqual(publish.maxMs);
    for (const t of s.timeseries) {
      if (t.publishP99Ms !== null) expect(t.publishP99Ms).toBeLessThanOrEqual(publish.maxMs);
    }
    const omb = toOmb({
      runId: "r",
      workload: { name: "w", file: null, matrix: {}, params: {} },
      adapter: { name: "reference", settings: {}, capabilities: {} },
      warmupS: 0,
      timeseries: s.timeseries,
      latency: s.latency,
      throughput: s.throughput,
    } as never);
    const flat = omb as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(flat)) {
      if (/^aggregatedPublishLatency\d+pct$/.test(k)) expect(v as number).toBeLessThanOrEqual(publish.maxMs);
    }
  });
});
