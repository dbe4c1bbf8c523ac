import { describe, expect, it } from "vitest";
import { toOmb } from "./omb.js";
import { runResult } from "./synthetic.js";

describe("toOmb", () => {
  const r = runResult({ runId: "omb-run", adapter: "nats", seed: 5, durationS: 6, scheduleLagUs: 20_000 });
  const omb = toOmb(r);

  it("names the run and reads the workload shape from its parameters", () => {
    expect(omb).toMatchObject({
      workload: "omb-run",
      driver: "nats",
      messageSize: 1024,
      topics: 1,
      partitions: 4,
    });
  });

  it("keeps the per-second series after warmup (OMB drops its warmup phase)", () => {
    // warmupS 2, samples at 1..6 → 3..6
    expect(omb.publishRate).toEqual(r.timeseries.slice(2).map((s) => s.publishedMsgs));
    expect(omb.consumeRate).toEqual(r.timeseries.slice(2).map((s) => s.consumedMsgs));
    expect(omb.backlog).toEqual(r.timeseries.slice(2).map((s) => s.backlogMsgs));
    // per-interval percentiles are corrected here and not in OMB: left out rather than mislabelled
    expect(omb).not.toHaveProperty("endToEndLatency99pct");
  });

  it("exports the uncorrected latencies, as OMB measures from the actual send", () => {
    const e = r.latency.endToEnd.uncorrected;
    expect(e.p99Ms).not.toBe(r.latency.endToEnd.corrected.p99Ms);
    expect(omb.aggregatedEndToEndLatency50pct).toBe(e.p50Ms);
    expect(omb.aggregatedEndToEndLatency99pct).toBe(e.p99Ms);
    expect(omb.aggregatedEndToEndLatencyMax).toBe(e.maxMs);
    expect(omb.aggregatedPublishLatencyAvg).toBe(r.latency.publish.uncorrected.meanMs);
    const q = omb.aggregatedEndToEndLatencyQuantiles as Record<string, number>;
    expect(q["100.0"]).toBe(e.maxMs);
    expect(q["50.0"]).toBe(e.p50Ms);
  });

  it("has every field OMB's TestResult aggregates, as numbers", () => {
    for (const m of ["Publish", "EndToEnd"]) {
      for (const f of ["Avg", "50pct", "75pct", "95pct", "99pct", "999pct", "9999pct", "99999pct", "Max"]) {
        expect(typeof omb[`aggregated${m}Latency${f}`], `aggregated${m}Latency${f}`).toBe("number");
      }
    }
    expect(JSON.parse(JSON.stringify(omb))).toEqual(omb);
  });
});
