import { describe, expect, it } from "vitest";
import { trialRunId } from "../core/find-max.js";
import { buildCharts, type ChartDef } from "./charts.js";
import type { ReportRun } from "./figures.js";
import { renderSvg } from "./render.js";
import { matrixResults, runResult, twelveRunMatrix } from "./synthetic.js";

const asRuns = (set: string, results: ReturnType<typeof runResult>[]): ReportRun[] =>
  results.map((result) => ({ set, result }));

type Row = Record<string, unknown>;

/**
 * A chart's rows: its inline data, or the named datasets of a kind over every panel (`bands` =
 * bands0, bands1, …; `samples` = the throughput, latency and backlog samples of every panel).
 */
function rows(chart: ChartDef | undefined, kind?: string): Row[] {
  const spec = chart?.spec as unknown as { datasets?: Record<string, Row[]>; data?: { values: Row[] } };
  if (!kind) return spec.data?.values ?? [];
  const kinds = kind === "samples" ? ["throughput", "latency", "backlog"] : [kind];
  return Object.entries(spec.datasets ?? {})
    .filter(([name]) => kinds.some((k) => new RegExp(`^${k}\\d+$`).test(name)))
    .flatMap(([, values]) => values);
}

/** Every explicit scale domain of one channel (`x`, `y`) in a spec, wherever it sits. */
function domains(node: unknown, channel: string, out: unknown[][] = []): unknown[][] {
  if (Array.isArray(node)) for (const x of node) domains(x, channel, out);
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      const domain = (v as { scale?: { domain?: unknown } } | null)?.scale?.domain;
      if (k === channel && Array.isArray(domain)) out.push(domain);
      domains(v, channel, out);
    }
  }
  return out;
}

describe("buildCharts", () => {
  it("draws over time, every run's figures and both percentile distributions; no rate chart without a sweep", async () => {
    const charts = buildCharts(asRuns("s", matrixResults()), ["s"]);
    expect(charts.map((c) => c.id)).toEqual(["timeline", "figures", "latency", "publish-latency"]);
    for (const c of charts) {
      const svg = await renderSvg(c.spec);
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).not.toContain("NaN");
      expect(svg).not.toMatch(/>[0-9.]*0\.000000</); // no label like the lone "0.000000" tick
    }
  });

  it("plots each second's end-to-end p50 and p99 over time, broken where a second had no delivery", () => {
    const r = runResult({ runId: "gap", seed: 4, durationS: 6 });
    const withGap = {
      ...r,
      timeseries: r.timeseries.map((s) => (s.tS === 3 ? { ...s, e2eP50Ms: null, e2eP99Ms: null } : s)),
    };
    const timeline = buildCharts(asRuns("s", [withGap]), ["s"]).find((c) => c.id === "timeline");
    const p99 = rows(timeline, "samples").filter((x) => x.m === "p99");
    const p50 = rows(timeline, "samples").filter((x) => x.m === "p50");
    expect(p99).toHaveLength(2 * 5); // two points (start, end) for each second with a value
    expect(p50).toHaveLength(2 * 5);
    expect(p99.some((x) => x.t === 3)).toBe(true); // second 3 ends at t = 3 ...
    expect(new Set(p99.map((x) => x.g)).size).toBe(2); // ... and the line breaks over it
    expect(p99.find((x) => x.t === 1)?.v).toBe(withGap.timeseries[0]?.e2eP99Ms);
  });

  it("draws injected faults and the warmup as bands on every panel, labelled once", () => {
    const faults = [{ kind: "consumer-crash", target: "consumer:0", startS: 4, endS: 6 }];
    const runs = [1, 2].map((seed) =>
      runResult({ runId: `f${seed}`, seed, matrix: { delivery: seed === 1 ? "push" : "pull" }, faults }),
    );
    const timeline = buildCharts(asRuns("s", runs), ["s"]).find((c) => c.id === "timeline");
    expect(rows(timeline, "bands")).toEqual([
      { p: 0, kind: "warmup", from: 0, to: 2, label: "warmup" },
      { p: 0, kind: "fault", from: 4, to: 6, label: "consumer-crash", labelY: 0 },
    ]);
    expect(timeline?.caption).toContain("consumer-crash 4–6 s");
  });

  it("writes the labels of faults too close to share a line on lines below, and far ones on the top line", () => {
    const fault = (kind: string, startS: number) => ({
      kind,
      target: "consumer:0",
      startS,
      endS: startS + 1,
    });
    const faults = [fault("consumer-stall", 4), fault("consumer-crash", 6), fault("consumer-crash", 26)];
    const r = runResult({ runId: "close", seed: 1, durationS: 30, faults });
    const timeline = buildCharts(asRuns("s", [r]), ["s"]).find((c) => c.id === "timeline");
    const labelled = rows(timeline, "bands").filter((b) => b.kind === "fault");
    expect(labelled.map((b) => [b.from, b.labelY])).toEqual([
      [4, 0],
      [6, 10],
      [26, 0],
    ]);
  });

  it("starts every time axis at 0 and gives an all-zero backlog a [0, 1] domain, not a lone 0 tick", () => {
    const flat = matrixResults().map((r) => ({
      ...r,
      timeseries: r.timeseries.map((s) => ({ ...s, backlogMsgs: 0 })),
      backlog: { maxMsgs: 0, finalMsgs: 0 },
    }));
    const timeline = buildCharts(asRuns("s", flat), ["s"]).find((c) => c.id === "timeline");
    const xs = domains(timeline?.spec, "x");
    expect(xs.length).toBeGreaterThan(0);
    for (const d of xs) expect(d).toEqual([0, 10]);
    expect(domains(timeline?.spec, "y")).toContainEqual([0, 1]);
  });

  it("leaves a figure that is 0 in every run out of the figures chart and says so", async () => {
    const figures = buildCharts(asRuns("s", matrixResults()), ["s"]).find((c) => c.id === "figures");
    expect(figures?.caption).toContain("0 in every run, so not drawn: lost, delivered / processed twice");
    const titles = JSON.stringify(figures?.spec);
    expect(titles).not.toContain('"text":"lost"');
    expect(await renderSvg(figures!.spec)).not.toMatch(/>[0-9.]*0\.000000</);
  });

  it("keeps a panel to a few series: twelve runs become panels of adapter × delivery, one line per rate", () => {
    const timeline = buildCharts(asRuns("s", twelveRunMatrix(4)), ["s"]).find((c) => c.id === "timeline");
    const samples = rows(timeline, "samples");
    const perPanel = new Map<unknown, Set<unknown>>();
    for (const x of samples) perPanel.set(x.p, (perPanel.get(x.p) ?? new Set()).add(x.s));
    expect(perPanel.size).toBe(4);
    for (const series of perPanel.values()) expect([...series].sort()).toEqual(["1000", "20000", "5000"]);
    expect(timeline?.caption).toContain("One row per adapter and delivery, one colour per rate");
  });

  it("draws latency against the offered rate when the matrix sweeps numbers, skipping `max`", async () => {
    const sweep = [1000, 4000, "max" as const].map((rate, i) =>
      runResult({ runId: `r${i}`, matrix: { rate }, seed: i + 1, durationS: 3 }),
    );
    const chart = buildCharts(asRuns("s", sweep), ["s"]).find((c) => c.id === "latency-vs-rate");
    expect(chart).toBeDefined();
    const offered = rows(chart)
      .filter((v) => v.kind === "throughput")
      .map((v) => v.offered);
    expect(offered).toEqual([1000, 4000]);
    expect(await renderSvg(chart!.spec)).not.toContain("NaN");
  });

  it("draws a find-max search's knee and p99 bound, on a log rate axis when the trials span two doublings", async () => {
    const trials = (search: string, rates: number[], adapter = "reference") =>
      rates.map((rate, i) =>
        runResult({ runId: trialRunId(search, rate), adapter, matrix: { rate }, seed: i + 1, durationS: 3 }),
      );
    const xScales = (chart: ChartDef | undefined) =>
      JSON.stringify(chart?.spec)
        .match(/"title":"offered rate[^"]*"/g)
        ?.map((t) => t.includes("log scale"));
    const runs = asRuns("s", [
      ...trials("fm-a", [20000, 10000, 5000, 2500, 3750]),
      ...trials("fm-b", [20000, 40000, 30000], "nats"),
    ]);
    const search = buildCharts(
      runs,
      ["s"],
      [
        { set: "s", runId: "fm-a", maxRate: 2500, p99Ms: 50 },
        { set: "s", runId: "fm-b", maxRate: 20000, p99Ms: 50 },
        { set: "s", runId: "fm-gone", maxRate: 1000, p99Ms: 50 },
      ],
    ).find((c) => c.id === "latency-vs-rate");
    // Each knee in its curve's series, its label on its own row; one bound for both searches; the
    // knee of a search whose trials are not among the runs left out.
    expect(rows(search).filter((v) => v.kind === "knee" || v.kind === "bound")).toEqual([
      { kind: "knee", offered: 2500, series: "adapter=reference", labelY: -3, label: "find-max 2,500 msg/s" },
      { kind: "knee", offered: 20000, series: "adapter=nats", labelY: -15, label: "find-max 20,000 msg/s" },
      { kind: "bound", valueMs: 50, label: "p99 ≤ 50 ms" },
    ]);
    expect(new Set(xScales(search))).toEqual(new Set([true]));
    const svg = await renderSvg(search!.spec);
    expect(svg).toContain("p99 ≤ 50 ms");
    expect(svg).toContain("find-max 20,000 msg/s");
    expect(svg).not.toContain("NaN");
    // A narrow sweep stays linear; a search that found nothing draws its bound but no knee.
    const narrow = buildCharts(
      asRuns("s", trials("fm", [1000, 2000])),
      ["s"],
      [{ set: "s", runId: "fm", maxRate: null, p99Ms: 10 }],
    ).find((c) => c.id === "latency-vs-rate");
    expect(new Set(xScales(narrow))).toEqual(new Set([false]));
    expect(rows(narrow).filter((v) => v.kind === "knee")).toEqual([]);
    expect(rows(narrow).filter((v) => v.kind === "bound")).toHaveLength(1);
  });

  it("puts old and new of each point in one panel and leaves runs without figures out", () => {
    const old = matrixResults();
    const now = [...matrixResults(), runResult({ runId: "x", seed: 9, status: "error", reason: "boom" })];
    const charts = buildCharts([...asRuns("old", old), ...asRuns("new", now)], ["old", "new"]);
    const samples = rows(
      charts.find((c) => c.id === "timeline"),
      "samples",
    );
    const perPanel = new Map<unknown, Set<unknown>>();
    for (const x of samples) perPanel.set(x.p, (perPanel.get(x.p) ?? new Set()).add(x.s));
    expect(perPanel.size).toBe(4);
    for (const series of perPanel.values()) expect([...series]).toEqual(["old", "new"]);
    expect(buildCharts(asRuns("s", [runResult({ runId: "e", status: "not-supported" })]), ["s"])).toEqual([]);
  });

  it("charts a run stopped part-way with the samples it took, whatever its status is called", () => {
    const interrupted = { ...runResult({ runId: "i", seed: 5 }), status: "interrupted" as never };
    const charts = buildCharts(asRuns("s", [interrupted]), ["s"]);
    expect(charts.map((c) => c.id)).toContain("timeline");
  });
});
