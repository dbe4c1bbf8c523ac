/**
 * Faults that need the reference broker as a child server (`server: spawn`, compiled dist/):
 * broker crash and restart, and network faults through the proxy. ~3 s each.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { referenceAdapter } from "../../adapters/reference/index.js";
import { checkHistoryFile } from "../../checkers/index.js";
import { readHistoryText } from "../../core/history/compact-file.js";
import type { RunResult } from "../../core/results.js";
import { executeRun } from "../runner/index.js";
import { builtinWorkloadDir, parseWorkloadText } from "../workload/index.js";

const built = existsSync(join(builtinWorkloadDir(), "..", "dist", "harness", "cli", "cli.js"));
if (!built) console.log("server fault tests skipped: dist/ is not built (npm run build)");
const dir = mkdtempSync(join(tmpdir(), "bb-server-faults-"));
let n = 0;

async function run(yaml: string): Promise<RunResult & { dir: string }> {
  const [point] = parseWorkloadText(yaml, "server-faults.yaml");
  const runDir = join(dir, `run-${++n}`);
  const result = await executeRun({
    run: point!,
    runId: `run-${n}`,
    factory: referenceAdapter,
    settings: { sessionTimeoutMs: "1000" },
    dir: runDir,
    history: true,
    check: (path, expect) => checkHistoryFile(path, { expect }),
  });
  return { ...result, dir: runDir };
}

const workload = (fault: string, extra: string[] = []) =>
  [
    "rate: 1000",
    "batchSize: 20",
    "durationS: 2.5",
    "warmupS: 0.2",
    "delivery: pull",
    "server: spawn",
    ...extra,
    "faults:",
    `  - ${fault}`,
  ].join("\n");

describe.skipIf(!built)("faults against a spawned reference server (skipped without dist/)", () => {
  it("broker-crash with --flush always and acks=flushed: nothing acknowledged is lost", async () => {
    const r = await run(
      workload("{ at: 0.8, duration: 0.5, kind: broker-crash, target: broker }", [
        "serverFlush: always",
      ]).replace("server: spawn", "server: spawn\nsettings: { acks: flushed, sessionTimeoutMs: 1000 }"),
    );
    expect(r.status, r.reason ?? "").toBe("completed");
    expect(r.verdict?.counts.lost).toBe(0);
    expect(r.verdict?.groups[0]?.drained).toBe(true);
    expect(r.verdict?.valid).toBe(true);
    expect(r.faults).toMatchObject([{ kind: "broker-crash", target: "broker" }]);
    // Producing went on after the restart.
    const h = readHistoryText(join(r.dir, "history.bbh"))
      .split("\n")
      .filter((l) => l !== "");
    const end = h.findIndex((l) => l.includes('"f":"fault"') && l.includes('"end"'));
    expect(h.slice(end).some((l) => l.startsWith('{"type":"ok","f":"send"'))).toBe(true);
    expect(h.some((l) => l.includes('"f":"crash"'))).toBe(true);
    expect(r.counts.ackedMsgs).toBeGreaterThan(1500);
  });

  it("network-blackhole then network-reset: held traffic resumes, reset clients reconnect, nothing lost", async () => {
    const r = await run(
      [
        "rate: 1000",
        "batchSize: 20",
        "durationS: 3",
        "warmupS: 0.2",
        "delivery: pull",
        "server: spawn",
        "serverFlush: none",
        "faults:",
        "  - { at: 0.5, duration: 0.5, kind: network-blackhole, target: broker }",
        "  - { at: 1.5, duration: 0.5, kind: network-reset, target: broker }",
      ].join("\n"),
    );
    expect(r.status, r.reason ?? "").toBe("completed");
    expect(r.verdict?.valid).toBe(true);
    expect(r.verdict?.counts.lost).toBe(0);
    expect(r.faults.map((f) => f.kind)).toEqual(["network-blackhole", "network-reset"]);
    expect(r.faultLog?.some((w) => w.startsWith("reconnected"))).toBe(true);
    expect((r.warnings ?? []).filter((w) => /reconnected|lost its broker/.test(w))).toEqual([]);
    // The blackhole held the traffic for its duration: some message waited about that long.
    expect(r.latency.endToEnd.corrected.maxMs).toBeGreaterThan(400);
  });

  it("network-latency through the proxy shows in the end-to-end latency", async () => {
    const r = await run(
      workload("{ at: 0.5, duration: 1.5, kind: network-latency, target: broker, latencyMs: 40 }", [
        "serverFlush: none",
      ]),
    );
    expect(r.status, r.reason ?? "").toBe("completed");
    expect(r.verdict?.valid).toBe(true);
    // Producer → broker → consumer crosses the proxy at least twice each way.
    expect(r.latency.endToEnd.corrected.p99Ms).toBeGreaterThan(80);
    expect(r.latency.endToEnd.corrected.p50Ms).toBeGreaterThan(40);
  });
});
