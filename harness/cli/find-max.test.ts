/**
 * `rate: find-max` through `brokerbench run` on the embedded reference broker: the trials are real
 * runs, find-max.json says what was found, and the report leads with it.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type FindMaxRecord, findMaxRecordSchema } from "../../core/find-max.js";
import { runCli } from "./test/in-process.js";

const dir = mkdtempSync(join(tmpdir(), "bb-find-max-"));
function workload(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

afterEach(() => vi.restoreAllMocks());

const BASE = "partitions: 1\nmessageSize: 100\nbatchSize: 10\ndurationS: 1\nwarmupS: 0.2\nrate: find-max\n";

function searches(out: string): FindMaxRecord[] {
  return findMaxRecordSchema.array().parse(JSON.parse(readFileSync(join(out, "find-max.json"), "utf8")));
}

describe("brokerbench run with rate: find-max", () => {
  it("doubles up to maxRate when every rate holds, keeps each trial as a run, and leads the report with it", async () => {
    const file = workload("up.yaml", `${BASE}findMax: { startRate: 500, maxRate: 2000, p99Ms: 60000 }\n`);
    const out = join(dir, "up");
    const r = await runCli("run", file, "-o", out, "--report", "md");
    expect(r.code, r.err).toBe(0);
    const [s] = searches(out);
    expect(s).toMatchObject({ runId: "up", adapter: "reference", result: { maxRate: 2000, capped: true } });
    expect(s!.result.trials.map((t) => [t.rate, t.sustained])).toEqual([
      [500, true],
      [1000, true],
      [2000, true],
    ]);
    for (const rate of [500, 1000, 2000]) {
      const result = JSON.parse(readFileSync(join(out, `up-rate=${rate}`, "results.json"), "utf8"));
      expect(result.workload.matrix.rate).toBe(rate);
      expect(result.verdict.valid).toBe(true);
    }
    expect(r.out).toMatch(
      /find-max up on reference: highest sustainable rate 2,000 msg\/s .*the broker may go higher; 3 trials/,
    );
    const report = readFileSync(join(out, "report.md"), "utf8");
    expect(report).toMatch(
      /Highest sustainable rate \(find-max\):\*\* \[.*\]\(up-rate=2000\/results\.json\): 2,000 msg\/s/,
    );
  }, 60_000);

  it("goes down when the start does not hold, and says when no rate held", async () => {
    // No run has an end-to-end p99 under a nanosecond: every trial fails, down to the lowest rate.
    const file = workload(
      "none.yaml",
      `${BASE.replace("batchSize: 10", "batchSize: 1")}findMax: { startRate: 40, p99Ms: 0.000001 }\n`,
    );
    const out = join(dir, "none");
    const r = await runCli("run", file, "-o", out, "--report", "md");
    expect(r.code, r.err).toBe(0);
    const [s] = searches(out);
    expect(s!.result.maxRate).toBeNull();
    expect(s!.result.trials.map((t) => t.rate)).toEqual([40, 20, 10]);
    expect(s!.result.firstFailing?.reason).toMatch(/e2e p99 [\d.]+ ms above 0\.00000100 ms/);
    expect(r.out).toMatch(/find-max none on reference: no rate held/);
  }, 60_000);

  it("refuses findMax without rate: find-max, and find-max with a message count, in one line", async () => {
    const a = await runCli("run", workload("a.yaml", "rate: 100\nfindMax: { p99Ms: 5 }\n"));
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/a\.yaml: field "findMax": applies only with rate: find-max/);
    const b = await runCli("run", workload("b.yaml", "rate: find-max\nmessages: 100\n"));
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/field "rate": find-max runs a trial per rate for a duration/);
    expect(existsSync(join(dir, "b"))).toBe(false);
  });
});
