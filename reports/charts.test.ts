import { describe, expect, it } from "vitest";
import { buildCharts } from "./charts.js";
import type { ReportRun } from "./figures.js";
import { renderSvg } from "./render.js";
import { matrixResults, runResult } from "./synthetic.js";

const asRuns = (set: string, results: ReturnType<typeof runResult>[]): ReportRun[] =>
  results.map((result) => ({ set, result }));

/** Every value the chart plots, from its inline data. */
function values(spec: unknown): Record<string, unknown>[] {
  return (spec as { data: { values: Record<string, unknown>[] } }).data.values;
}

describe("buildCharts", () => {
  it("draws the matrix: throughput, backlog, latency and comparison; no rate chart without a rate sweep", async () => {
    const charts = buildCharts(asRuns("s", matrixResults()), ["s"]);
    expect(charts.map((c) => c.id)).toEqual(["throughput", "backlog", "latency", "comparison"]);
    for (const c of charts) {
      const svg = await renderSvg(c.spec);
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).not.toContain("NaN");
    }
  });

  it("names runs by the parameters that vary and groups the bars by the first", () => {
    const [, , , comparison] = buildCharts(asRuns("s", matrixResults()), ["s"]);
    const rows = values(comparison?.spec).filter((v) => v.figure === "consumed (msg/s)");
    expect(rows.map((r) => [r.run, r.group, r.split])).toEqual([
      ["delivery=push, partitions=1", "push", "partitions=1"],
      ["delivery=push, partitions=4", "push", "partitions=4"],
      ["delivery=pull, partitions=1", "pull", "partitions=1"],
      ["delivery=pull, partitions=4", "pull", "partitions=4"],
    ]);
  });

  it("draws latency against the offered rate when the matrix sweeps numbers, skipping `max`", async () => {
    const sweep = [1000, 4000, "max" as const].map((rate, i) =>
      runResult({ runId: `r${i}`, matrix: { rate }, seed: i + 1, durationS: 3 }),
    );
    const chart = buildCharts(asRuns("s", sweep), ["s"]).find((c) => c.id === "latency-vs-rate");
    expect(chart).toBeDefined();
    const offered = values(chart?.spec)
      .filter((v) => v.kind === "throughput")
      .map((v) => v.offered);
    expect(offered).toEqual([1000, 4000]);
    expect(await renderSvg(chart!.spec)).not.toContain("NaN");
  });

  it("shades injected faults and the warmup on the throughput panels", () => {
    const r = runResult({ runId: "f", seed: 3 });
    const withFault = { ...r, faults: [{ kind: "kill", target: "broker-1", startS: 4, endS: 6 }] };
    const [throughput] = buildCharts(asRuns("s", [withFault]), ["s"]);
    const bands = values(throughput?.spec).filter((v) => v.kind !== "sample");
    expect(bands).toEqual([
      { kind: "warmup", set: "s", run: "f", startS: 0, endS: 2 },
      { kind: "fault", set: "s", run: "f", startS: 4, endS: 6, fault: "kill broker-1" },
    ]);
  });

  it("puts result sets side by side and leaves runs that did not complete out", () => {
    const old = matrixResults();
    const now = [...matrixResults(), runResult({ runId: "x", seed: 9, status: "error", reason: "boom" })];
    const charts = buildCharts([...asRuns("old", old), ...asRuns("new", now)], ["old", "new"]);
    const latency = charts.find((c) => c.id === "latency")?.spec as { facet: { row?: { field: string } } };
    expect(latency.facet.row?.field).toBe("set");
    expect(values(latency).some((v) => v.run === "x")).toBe(false);
    expect(buildCharts(asRuns("s", [runResult({ runId: "e", status: "not-supported" })]), ["s"])).toEqual([]);
  });
});
