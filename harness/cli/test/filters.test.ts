/** `filters: N` end to end through `brokerbench run` (the runner's own tests: harness/runner/filters.test.ts). */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { RunResult } from "../../../core/results.js";
import { main } from "../cli.js";

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
    const history = readFileSync(join(dir, "f-reference", "history.jsonl"), "utf8");
    expect(history).toMatch(/"topic":"bb\.[0-9a-f]{6}\.t\.0"/);
    const refused = read("f-jetstream");
    expect(refused.status).toBe("not-supported");
    expect(refused.reason).toMatch(/pattern subscriptions \(filters\) are not supported/);
  });
});
