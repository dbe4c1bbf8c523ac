import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readHistoryText } from "../../../core/history/compact-file.js";
import type { RunResult } from "../../../core/results.js";
import { runCli } from "./in-process.js";

const dir = mkdtempSync(join(tmpdir(), "bb-run-"));

const readResult = (runDir: string) =>
  JSON.parse(readFileSync(join(runDir, "results.json"), "utf8")) as RunResult;
const historyLines = (runDir: string) =>
  readHistoryText(join(runDir, "history.bbh"))
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { type: string; f: string; group?: string; value?: unknown });

describe("brokerbench run on the embedded reference broker", () => {
  it("runs a matrix end to end: results.json, history.bbh, a valid verdict and a summary", async () => {
    const file = join(dir, "e2e.yaml");
    writeFileSync(
      file,
      [
        "partitions: 2",
        "rate: 4000",
        "batchSize: 20",
        "keys: round-robin",
        "durationS: 1",
        "warmupS: 0.2",
        "matrix:",
        "  delivery: [push, pull]",
        "  subscription:",
        "    queue: { groups: 1, consumersPerGroup: 2 }",
        "    pubsub: { groups: 2, consumersPerGroup: 1 }",
      ].join("\n"),
    );
    const out = join(dir, "out");
    const r = await runCli("run", file, "--out", out, "--report", "none");
    expect(r.err).not.toMatch(/Error|error:/);
    expect(r.code).toBe(0);
    const ids = [
      "push-subscription=queue",
      "push-subscription=pubsub",
      "pull-subscription=queue",
      "pull-subscription=pubsub",
    ];
    for (const id of ids) {
      const runDir = join(out, `e2e-delivery=${id}`);
      const result = readResult(runDir);
      expect(result).toMatchObject({
        format: 1,
        status: "completed",
        reason: null,
        history: "history.bbh",
      });
      expect(result.adapter.name).toBe("reference");
      expect(result.workload.params).toMatchObject({ rate: 4000, start: "earliest", order: "partition" });
      expect(result.counts.ackedMsgs).toBeGreaterThan(3000);
      const groups = id.endsWith("pubsub") ? ["g1", "g2"] : ["g1"];
      expect(Object.keys(result.counts.deliveredMsgs)).toEqual(groups);
      for (const g of groups)
        expect(result.counts.deliveredMsgs[g]).toBeGreaterThanOrEqual(result.counts.ackedMsgs);
      expect(result.throughput.publishMsgsPerSec).toBeGreaterThan(1000);
      expect(result.latency.endToEnd.corrected.count).toBeGreaterThan(0);
      expect(result.latency.endToEnd.corrected.p99Ms).toBeGreaterThanOrEqual(
        result.latency.endToEnd.corrected.p50Ms,
      );
      expect(result.timeseries.length).toBeGreaterThanOrEqual(1);
      expect(result.verdict).toMatchObject({
        valid: true,
        expect: { delivery: "at-least-once", order: "partition" },
      });
      expect(result.verdict?.counts.lost).toBe(0);
      expect(result.verdict?.groups.every((g) => g.drained)).toBe(true);

      const lines = historyLines(runDir);
      expect(lines[0]).toMatchObject({
        type: "ok",
        f: "meta",
        value: { format: 1, adapter: "reference", model: "log" },
      });
      for (const g of groups) {
        const drains = lines.filter((l) => l.f === "drain" && l.group === g);
        expect(drains.map((d) => d.value ?? null)).toEqual([null, { complete: true }]);
      }
      expect(lines.some((l) => l.f === "commit")).toBe(true);
      expect(lines.some((l) => l.f === "assign")).toBe(true);
    }
    // The summary names runs by the matrix values that tell them apart.
    expect(r.out).toMatch(/^push queue\s+[\d,]+\s/m);
    expect(r.out.match(/ valid$/gm)).toHaveLength(4);
  }, 60_000);

  it("a message count replaces the duration; every delivered batch is committed", async () => {
    const out = join(dir, "count");
    // 30,000 at 20k msg/s: past the 1 s warmup (3,000 would all fall inside it: inconclusive).
    const r = await runCli("run", "default", "--messages", "30000", "--out", out, "--report", "none");
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    const file = join(dir, "amo.yaml");
    writeFileSync(
      file,
      "deliveryMode: at-most-once\nmessages: 1000\nbatchSize: 10\nwarmupS: 0\ndelivery: pull\n",
    );
    const r2 = await runCli("run", file, "--out", join(dir, "amo"), "--report", "none");
    expect(r2.code, `${r2.out}\n${r2.err}`).toBe(0);
    const lines = historyLines(join(dir, "amo", "amo")) as {
      type: string;
      f: string;
      process?: number;
      value?: unknown;
    }[];
    // Every delivered batch is committed by its consumer before that consumer polls again.
    let checked = 0;
    lines.forEach((l, i) => {
      if (l.f !== "poll" || l.type !== "ok" || (l.value as unknown[]).length === 0) return;
      const next = lines.slice(i + 1).find((m) => m.process === l.process);
      expect(next?.f).toBe("commit");
      checked++;
    });
    expect(checked).toBeGreaterThan(0);
    const result = readResult(join(dir, "amo", "amo"));
    expect(result.counts.sentMsgs).toBe(1000);
    expect(result.verdict?.expect.delivery).toBe("at-most-once");
  }, 60_000);

  it("reports what an adapter cannot do as not supported, without connecting", async () => {
    const file = join(dir, "alo.yaml");
    writeFileSync(file, "deliveryMode: exactly-once\ndurationS: 1\nwarmupS: 0.2\n");
    const r = await runCli("run", file, "--adapter", "nats", "--out", join(dir, "ns"), "--report", "none");
    // Nothing ran at all: exit 1 (issue 11, defect 10).
    expect(r.code).toBe(1);
    expect(readResult(join(dir, "ns", "alo"))).toMatchObject({
      status: "not-supported",
      reason: "nats: delivery mode exactly-once is not supported",
      verdict: null,
    });
    expect(r.out).toContain(
      "not supported (1 of 1 points; --wide lists them):\n  delivery mode exactly-once is not supported: nats (alo)",
    );
  });

  it("an unreachable broker is an error row and exit code 1, not a crash", async () => {
    const file = join(dir, "unreach.yaml");
    writeFileSync(file, "durationS: 1\nwarmupS: 0.2\ndelivery: pull\n");
    const r = await runCli(
      "run",
      file,
      "--adapter",
      "reference,redis-streams",
      "--set",
      "redis-streams.url=redis://127.0.0.1:1",
      "--out",
      join(dir, "unreach"),
      "--report",
      "none",
    );
    expect(r.code).toBe(1);
    expect(readResult(join(dir, "unreach", "unreach-reference")).status).toBe("completed");
    const failed = readResult(join(dir, "unreach", "unreach-redis-streams"));
    expect(failed.status).toBe("error");
    expect(failed.reason).toMatch(/127\.0\.0\.1:1/);
    expect(r.out).toMatch(/^unreach on redis-streams: error: .*127\.0\.0\.1:1/m);
  }, 30_000);
});
