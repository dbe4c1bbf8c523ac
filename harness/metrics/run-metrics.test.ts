import { decodeFromCompressedBase64 } from "hdr-histogram-js";
import { describe, expect, it } from "vitest";
import { RunMetrics } from "./run-metrics.js";

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
    m.onDelivered(0, 10, start + 1500);
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
    m.onDelivered(0, 100, start + 2);
    m.onDelivered(1, 40, start + 2);
    expect(m.backlog()).toBe(60);
    m.onDelivered(0, 5, start + 3); // redeliveries do not make the backlog negative
    expect(m.backlog()).toBe(60);
    m.sample(start + 1000);
    expect(m.summary()).toMatchObject({
      backlog: { maxMsgs: 60, finalMsgs: 60 },
      deliveredMsgs: { g1: 105, g2: 40 },
    });
  });

  it("reports zeros, not NaN, when nothing was measured", () => {
    const s = make().summary();
    expect(s.throughput.consumeMsgsPerSec).toBe(0);
    expect(s.latency.endToEnd.corrected).toMatchObject({ count: 0, p99Ms: 0, maxMs: 0 });
  });
});
