import { describe, expect, it } from "vitest";
import { classify, compareSets, regressions } from "./compare.js";
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
});

describe("compareSets", () => {
  const set = (label: string, runs: ReturnType<typeof runResult>[]): ResultSet => ({
    label,
    source: label,
    runs: runs.map((result) => ({ result, file: `${label}/${result.runId}/results.json` })),
  });

  it("matches runs by id, computes new/old and lists the unmatched", () => {
    const a = runResult({ runId: "a", seed: 1 });
    const b = runResult({ runId: "b", seed: 2 });
    const slowA = {
      ...a,
      throughput: { ...a.throughput, publishMsgsPerSec: a.throughput.publishMsgsPerSec / 2 },
    };
    const c = compareSets(
      set("old", [a, b, runResult({ runId: "gone", seed: 3 })]),
      set("new", [
        slowA,
        runResult({ runId: "b", seed: 2, status: "error", reason: "boom" }),
        runResult({ runId: "added", seed: 4 }),
      ]),
    );
    expect(c.onlyOld).toEqual(["gone"]);
    expect(c.onlyNew).toEqual(["added"]);
    expect(c.notComparable).toEqual([{ runId: "b", oldStatus: "completed", newStatus: "error" }]);
    expect(c.rows.every((r) => r.runId === "a")).toBe(true);
    expect(regressions(c).map((r) => [r.figure, r.ratio])).toEqual([["publish throughput", 0.5]]);
  });
});
