import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { RESOURCE_PREFIX } from "../../adapters/contract.js";
import { matchesAny, patternMatches } from "../../adapters/patterns.js";
import { readHistoryText } from "../../core/history/compact-file.js";
import type { RunResult } from "../../core/results.js";
import { main } from "../cli/cli.js";
import { filterPatterns, filterSubscription, filterTopicNames } from "./filters.js";

describe("workload filters", () => {
  it("exactly one of N patterns matches every topic of the run, whatever N and the topic count", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 20 }), (n, topics) => {
        const patterns = filterPatterns("a1b2c3", n);
        expect(patterns).toHaveLength(n);
        expect(new Set(patterns).size).toBe(n);
        for (const t of filterTopicNames("a1b2c3", topics)) {
          expect(patterns.filter((p) => patternMatches(p, t))).toEqual(["bb-a1b2c3.t.>"]);
        }
        // Nothing of another run matches; every name carries the resource prefix.
        expect(matchesAny(patterns, "bb-ffffff.t.0")).toBe(false);
        for (const name of [...patterns, ...filterTopicNames("a1b2c3", topics)])
          expect(name.startsWith(RESOURCE_PREFIX)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("plain topics when filters is 0", () => {
    expect(filterSubscription(0, "x")).toEqual({});
    expect(filterSubscription(2, "x")).toEqual({ patterns: ["bb-x.t.>", "bb-x.o0.>"] });
  });
});

describe("brokerbench run with filters", () => {
  it("runs on the reference broker with 1,000 patterns, every message delivered; refused where not declared", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bb-filters-"));
    const file = join(dir, "f.yaml");
    writeFileSync(
      file,
      ["rate: 2000", "batchSize: 20", "durationS: 0.6", "warmupS: 0", "filters: 1000"].join("\n"),
    );
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    let code: number;
    try {
      code = await main(["run", file, "--adapter", "reference,jetstream", "--out", dir, "--report", "none"]);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    expect(code).toBe(0);
    const read = (name: string) =>
      JSON.parse(readFileSync(join(dir, name, "results.json"), "utf8")) as RunResult;
    const ref = read("f-reference");
    expect(ref.status).toBe("completed");
    expect(ref.workload.params).toMatchObject({ filters: 1000 });
    expect(ref.counts.ackedMsgs).toBeGreaterThan(500);
    expect(ref.counts.deliveredMsgs["g1"]).toBe(ref.counts.ackedMsgs);
    expect(ref.verdict?.valid).toBe(true);
    const history = readHistoryText(join(dir, "f-reference", "history.bbh"));
    expect(history).toMatch(/"topic":"bb-[0-9a-f]{6}\.t\.0"/);
    const refused = read("f-jetstream");
    expect(refused.status).toBe("not-supported");
    expect(refused.reason).toMatch(/pattern subscriptions \(filters\) are not supported/);
  });
});
