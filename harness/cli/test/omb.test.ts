/**
 * Real OpenMessaging Benchmark workload files (harness/workload/fixtures/omb, from OMB's
 * repository) run through `brokerbench run` on the embedded reference broker, shortened from the
 * command line, and OMB's backlog mode scaled down for this machine.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { RunResult } from "../../../core/results.js";
import { main } from "../cli.js";

const dir = mkdtempSync(join(tmpdir(), "bb-omb-"));
const fixture = (name: string) => new URL(`../../workload/fixtures/omb/${name}`, import.meta.url).pathname;

async function run(...argv: string[]): Promise<{ code: number; result: RunResult; err: string }> {
  const out = join(dir, `out-${readdirSync(dir).length}`);
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  let code: number;
  try {
    code = await main(["run", ...argv, "--out", out, "--report", "none"]);
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
  const [runDir] = readdirSync(out).filter((d) => !d.includes("."));
  const result = JSON.parse(readFileSync(join(out, runDir!, "results.json"), "utf8")) as RunResult;
  return { code, result, err: err.join("\n") };
}

describe("OpenMessaging Benchmark files through brokerbench run", () => {
  it("a 15-minute OMB file runs for 2 s with --warmup 0.5", async () => {
    const { code, result } = await run(
      fixture("1-topic-1-partition-1kb.yaml"),
      "--duration",
      "2",
      "--warmup",
      "0.5",
      "--rate",
      "5000",
    );
    expect(code).toBe(0);
    expect(result.status).toBe("completed");
    expect(result.workload.params).toMatchObject({
      durationS: 2,
      warmupS: 0.5,
      messageSize: 1024,
      rate: 5000,
    });
    expect(result.warmupS).toBe(0.5);
    expect(result.counts.ackedMsgs).toBeGreaterThan(7000);
    expect(result.verdict?.valid).toBe(true);
  });

  it("backlog mode: consumers held until the (scaled) backlog is built, then its drain measured", async () => {
    // consumerBacklogSizeGB 100 GiB × 0.00002 ≈ 2.1 MB: 2,098 messages of 1 KiB.
    const { code, result } = await run(
      fixture("backlog-1-topic-1-partition-1kb.yaml"),
      "--duration",
      "2",
      "--warmup",
      "0.5",
      "--rate",
      "20000",
      "--backlog-scale",
      "0.00002",
    );
    expect(code).toBe(0);
    expect(result.status, result.reason ?? "").toBe("completed");
    const b = result.backlogMode!;
    expect(b.targetBytes).toBe(Math.round(100 * 2 ** 30 * 0.00002));
    expect(b.targetMsgs).toBe(2098);
    expect(b.heldAtS).toBeGreaterThanOrEqual(0.49);
    expect(b.releasedAtS).toBeGreaterThan(b.heldAtS!);
    expect(b.drainedAtS).toBeGreaterThanOrEqual(b.releasedAtS!);
    // Held back, the consumers let the backlog reach the size (live, it stays near zero at this rate).
    expect(b.peakMsgs).toBeGreaterThanOrEqual(2098);
    expect(b.drainConsumeMsgsPerSec).toBeGreaterThan(0);
    // Producing went on for durationS − warmupS after the drain.
    const lastSample = result.timeseries.at(-1)!.tS;
    expect(lastSample).toBeGreaterThanOrEqual(Math.floor(b.drainedAtS! + 1.5));
    expect(result.verdict?.valid).toBe(true);
    expect(result.verdict?.counts.lost).toBe(0);
  });
});
