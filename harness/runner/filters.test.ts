import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchesAny, patternMatches } from "../../adapters/patterns.js";
import { filterPatterns, filterSubscription, filterTopicNames } from "./filters.js";

describe("workload filters", () => {
  it("exactly one of N patterns matches every topic of the run, whatever N and the topic count", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 20 }), (n, topics) => {
        const patterns = filterPatterns("a1b2c3", n);
        expect(patterns).toHaveLength(n);
        expect(new Set(patterns).size).toBe(n);
        for (const t of filterTopicNames("a1b2c3", topics)) {
          expect(patterns.filter((p) => patternMatches(p, t))).toEqual(["bb.a1b2c3.t.>"]);
        }
        // Nothing of another run matches.
        expect(matchesAny(patterns, "bb.ffffff.t.0")).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("plain topics when filters is 0", () => {
    expect(filterSubscription(0, "x")).toEqual({});
    expect(filterSubscription(2, "x")).toEqual({ patterns: ["bb.x.t.>", "bb.x.o0.>"] });
  });
});
