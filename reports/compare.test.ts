import { describe, expect, it } from "vitest";
import { UsageError } from "../core/errors.js";
import type { RunResult } from "../core/results.js";
import {
  assertComparable,
  classify,
  compareSets,
  parseAbsTolerance,
  regressions,
  worseCount,
} from "./compare.js";
import type { ResultSet } from "./load.js";
import { runResult } from "./synthetic.js";

describe("classify", () => {
  it.each([
    [1000, 850, "higher", "worse"],
    [1000, 950, "higher", "same"],
    [1000, 1200, "higher", "better"],
    [10, 11.5, "lower", "worse"],
    [10, 10.9, "lower", "same"],
    [10, 5, "lower", "better"],
    [0, 0, "lower", "same"],
    [0, 3, "lower", "worse"],
    [0, 3, "higher", "better"],
    [Number.NaN, 3, "higher", "n/a"],
  ] as const)("%d → %d (%s is better): %s", (old, now, better, change) => {
    expect(classify(old, now, better, 0.1)).toBe(change);
  });

  it("flags only past both the relative and the absolute tolerance", () => {
    expect(classify(0.04, 0.08, "lower", 0.1, 1)).toBe("same"); // 2×, but 0.04 ms
    expect(classify(40, 80, "lower", 0.1, 1)).toBe("worse");
    expect(classify(1000, 1050, "lower", 0.1, 1)).toBe("same"); // 50 ms, but 5 %
  });
});

const set = (label: string, runs: RunResult[]): ResultSet => ({
  label,
  source: label,
  runs: runs.map((result) => ({ result, file: `${label}/${result.runId}/results.json` })),
});

function withRate(r: RunResult, rate: number, factor: number): RunResult {
  return {
    ...r,
    workload: { ...r.workload, params: { ...r.workload.params, rate } },
    throughput: {
      ...r.throughput,
      publishMsgsPerSec: r.throughput.publishMsgsPerSec * factor,
      consumeMsgsPerSec: r.throughput.consumeMsgsPerSec * factor,
    },
  };
}

describe("compareSets", () => {
  it("matches runs by workload, matrix point and adapter, whatever the run directories are called", () => {
    // `--adapter all` appends -<adapter> to run ids; a single adapter does not.
    const old = ["push", "pull"].map((d, i) =>
      runResult({ runId: `default-delivery=${d}-reference`, matrix: { delivery: d }, seed: i + 1 }),
    );
    const now = ["push", "pull"].map((d, i) =>
      runResult({ runId: `default-delivery=${d}`, matrix: { delivery: d }, seed: i + 1 }),
    );
    const c = compareSets(set("all", old), set("one", now));
    expect(c.matched).toBe(2);
    expect(c.onlyOld).toEqual([]);
    expect(new Set(c.rows.map((r) => r.point))).toEqual(new Set(["reference · push", "reference · pull"]));
  });

  it("lists what is only on one side and what did not complete on both", () => {
    const a = runResult({ runId: "a", matrix: { x: "a" }, seed: 1 });
    const b = runResult({ runId: "b", matrix: { x: "b" }, seed: 2 });
    const slowA = {
      ...a,
      throughput: { ...a.throughput, publishMsgsPerSec: a.throughput.publishMsgsPerSec / 2 },
    };
    const c = compareSets(
      set("old", [a, b, runResult({ runId: "gone", matrix: { x: "gone" }, seed: 3 })]),
      set("new", [
        slowA,
        runResult({ runId: "b", matrix: { x: "b" }, seed: 2, status: "error", reason: "boom" }),
        runResult({ runId: "added", matrix: { x: "added" }, seed: 4 }),
      ]),
    );
    expect(c.onlyOld).toEqual(["reference · gone"]);
    expect(c.onlyNew).toEqual(["reference · added"]);
    expect(c.notComparable).toEqual([{ point: "reference · b", oldStatus: "completed", newStatus: "error" }]);
    expect(regressions(c).map((r) => [r.point, r.figure, r.ratio])).toEqual([
      ["reference · a", "publish throughput", 0.5],
    ]);
  });

  it("puts every parameter that differs at the top, with both values", () => {
    const old = [runResult({ runId: "d", seed: 1 })];
    const now = [withRate(runResult({ runId: "d", seed: 1 }), 3000, 1.5)];
    now[0] = {
      ...(now[0] as RunResult),
      environment: { ...(now[0] as RunResult).environment, node: "v22.0.0" },
    };
    const c = compareSets(set("a", old), set("b", now));
    expect(c.differences).toEqual([
      { name: "rate", values: [{ old: "2,000", new: "3,000", points: ["reference"] }] },
      { name: "Node.js", values: [{ old: "v20.20.2", new: "v22.0.0", points: ["reference"] }] },
    ]);
  });

  it("judges throughput against the offered rate: 1.5× offered and 1.5× achieved is as offered, not better", () => {
    const base = runResult({ runId: "d", seed: 1 });
    const c = compareSets(set("a", [base]), set("b", [withRate(base, 3000, 1.5)]));
    const publish = c.rows.find((r) => r.figure === "publish throughput");
    expect(publish).toMatchObject({ change: "same", ratio: 1.5 });
    expect(publish?.note).toBe("offered 2,000 → 3,000 msg/s, 1.50×; 1.00× of that");
    const short = compareSets(set("a", [base]), set("b", [withRate(base, 3000, 1.1)]));
    expect(short.rows.find((r) => r.figure === "publish throughput")?.change).toBe("worse");
  });

  it("counts a verdict that went from valid to invalid as worse", () => {
    const c = compareSets(
      set("a", [runResult({ runId: "d", seed: 1 })]),
      set("b", [runResult({ runId: "d", seed: 1, lost: 3 })]),
    );
    expect(c.verdictChanges).toEqual([
      { point: "reference", old: "valid", new: "INVALID (lost 3)", change: "worse" },
    ]);
    expect(worseCount(c)).toBe(1);
  });

  it("nothing to compare is an input error, not 'no figure worse'", () => {
    const disjoint = compareSets(
      set("a", [runResult({ runId: "x", workload: "one", seed: 1 })]),
      set("b", [runResult({ runId: "x", workload: "two", seed: 1 })]),
    );
    expect(() => assertComparable(disjoint)).toThrow(UsageError);
    expect(() => assertComparable(disjoint)).toThrow(/b vs a: nothing to compare, no run of one matches/);
    const neverCompleted = compareSets(
      set("a", [runResult({ runId: "x", seed: 1, status: "not-supported", reason: "no" })]),
      set("b", [runResult({ runId: "x", seed: 1, status: "not-supported", reason: "no" })]),
    );
    expect(() => assertComparable(neverCompleted)).toThrow(
      /none of the 1 matched run\(s\) completed on both sides/,
    );
  });
});

describe("parseAbsTolerance", () => {
  it("reads unit=value pairs and names a bad one", () => {
    expect(parseAbsTolerance("ms=2, msg/s=500")).toEqual({ ms: 2, "msg/s": 500 });
    expect(() => parseAbsTolerance("s=2")).toThrow(
      /--abs-tolerance s=2: expected unit=value with unit one of msg\/s, ms, msgs/,
    );
    expect(() => parseAbsTolerance("ms=-1")).toThrow(/expected a number ≥ 0/);
  });
});
