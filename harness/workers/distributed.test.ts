/**
 * Distributed runs against the real NATS server (127.0.0.1:4222): two workers in this process, a
 * run over both judged as one history; a worker process killed mid-run and reported as lost; the
 * token. Without NATS the suite skips with the reason (fails under BROKERBENCH_REQUIRE_SERVICES=1).
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAdapter } from "../../adapters/registry.js";
import { serviceGate } from "../../adapters/test/index.js";
import { checkHistoryFile } from "../../checkers/index.js";
import { readHistoryText } from "../../core/history/compact-file.js";
import type { RunOptions } from "../runner/index.js";
import { parseWorkloadText } from "../workload/index.js";
import { WorkerClient } from "./client.js";
import { executeDistributedRun } from "./coordinator.js";
import { LocalWorkers } from "./local.js";
import { WorkerServer } from "./server.js";

const gate = await serviceGate("nats", "127.0.0.1", 4222);
const distBuilt = existsSync(new URL("../../dist/harness/cli/cli.js", import.meta.url));

if (gate.fail) {
  describe("distributed runs", () => {
    it("need NATS at 127.0.0.1:4222", () => {
      throw new Error(gate.reason);
    });
  });
}

const workload = (yaml: string) => parseWorkloadText(yaml, "distributed.yaml")[0]!;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bb-distributed-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const optionsFor = (name: string, yaml: string, extra: Partial<RunOptions> = {}): RunOptions => ({
  run: workload(yaml),
  runId: name,
  factory: findAdapter("nats"),
  settings: {},
  dir: join(dir, name),
  history: true,
  check: (path, expect) => checkHistoryFile(path, { expect }),
  ...extra,
});

describe.skipIf(gate.skip || gate.fail)(`distributed runs on NATS core (${gate.reason})`, () => {
  it("splits the run over two workers and judges the union of their histories as one", async () => {
    const servers = await Promise.all(
      [0, 1].map(() => WorkerServer.listen({ host: "127.0.0.1", port: 0 }, "s3cret")),
    );
    try {
      // As remote workers (their clocks checked against the bound), though they share this process.
      const workers = servers.map(
        (s) => new WorkerClient({ host: "127.0.0.1", port: Number(s.address.split(":")[1]) }, "s3cret"),
      );
      const result = await executeDistributedRun(
        optionsFor(
          "two",
          "producersPerTopic: 2\nrate: 2000\nbatchSize: 10\nconsumersPerGroup: 2\ndeliveryMode: at-most-once\ndurationS: 2\nwarmupS: 0.5\n",
        ),
        // A loaded machine's loopback round trips reach tens of ms: the bound is not what this tests.
        { workers, workerWaitS: 5, clockBoundMs: 100 },
      );
      expect(result.status, result.reason ?? "").toBe("completed");
      expect(result.verdict?.valid).toBe(true);
      expect(result.workers?.map((w) => [w.status, w.producers, w.consumerSlots, w.processBase])).toEqual([
        ["completed", [0], [0], 0],
        ["completed", [1], [1], 100_000],
      ]);
      // The run's counts are its workers' sums; each worker sent its half.
      const sent = result.workers!.map((w) => w.sentMsgs!);
      expect(result.counts.sentMsgs).toBe(sent[0]! + sent[1]!);
      expect(sent[0]).toBeGreaterThan(0);
      expect(sent[1]).toBeGreaterThan(0);
      const delivered = result.counts.deliveredMsgs["g1"]!;
      expect(delivered).toBe(result.workers!.reduce((a, w) => a + w.deliveredMsgs!, 0));
      expect(delivered).toBeGreaterThan(0);
      // One history: the coordinator's meta line first, both workers' processes, a complete drain.
      const lines = readHistoryText(join(dir, "two", "history.bbh"))
        .trim()
        .split("\n");
      expect(JSON.parse(lines[0]!)).toMatchObject({ f: "meta" });
      expect(lines.filter((l) => l.includes('"f":"meta"'))).toHaveLength(1);
      expect(lines.some((l) => l.includes('"complete":true'))).toBe(true);
      const processes = new Set(lines.flatMap((l) => /"process":(\d+)/.exec(l)?.[1] ?? []).map(Number));
      expect([...processes].some((p) => p < 100_000)).toBe(true);
      expect([...processes].some((p) => p > 100_000)).toBe(true);
      expect(result.workers!.every((w) => w.clockUncertaintyMs !== null && w.clockUncertaintyMs < 5)).toBe(
        true,
      );
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  }, 60_000);

  it("refuses requests without the token, but answers /health to anyone", async () => {
    const server = await WorkerServer.listen({ host: "127.0.0.1", port: 0 }, "s3cret");
    try {
      const base = `http://${server.address}`;
      expect((await fetch(`${base}/health`)).status).toBe(200);
      const refused = await fetch(`${base}/clock`);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: "a valid token is required (Authorization: Bearer …)" });
      expect((await fetch(`${base}/clock`, { headers: { authorization: "Bearer s3cret" } })).status).toBe(
        200,
      );
    } finally {
      await server.close();
    }
  });

  it("waits for a worker that is not up yet, then says which one never came", async () => {
    const absent = new WorkerClient({ host: "127.0.0.1", port: 1 }, null);
    const started = performance.now();
    await expect(absent.waitReady(1)).rejects.toThrow(
      /^worker 127\.0\.0\.1:1: not reachable within 1 s \(--worker-wait\): connect ECONNREFUSED/,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(700);
  });

  it.skipIf(!distBuilt)(
    "reports a worker killed mid-run as lost, its figures partial, without a verdict",
    async () => {
      const local = await LocalWorkers.start(2);
      try {
        const victim = local.pids[1]!;
        let killed = false;
        const result = await executeDistributedRun(
          optionsFor(
            "lost",
            "producersPerTopic: 2\nrate: 2000\nbatchSize: 10\nconsumersPerGroup: 2\ndeliveryMode: at-most-once\ndurationS: 6\nwarmupS: 0.5\n",
            {
              // Killed once producing is under way (the first progress report while producing).
              onProgress: (p) => {
                if (p.phase === "producing" && p.sentMsgs > 0 && !killed) {
                  killed = true;
                  process.kill(victim, "SIGKILL");
                }
              },
            },
          ),
          { workers: local.clients, workerWaitS: 5, clockBoundMs: 5 },
        );
        expect(killed).toBe(true);
        const lostAt = local.clients[1]!.address;
        expect(result.status).toBe("error");
        expect(result.reason).toContain(`worker lost: ${lostAt} (while producing:`);
        expect(result.reason).toContain("the figures are partial, from 1 of 2 workers");
        expect(result.verdict).toBeNull();
        expect(result.workers?.map((w) => [w.status, w.lostWhile ?? null])).toEqual([
          ["completed", null],
          ["lost", "producing"],
        ]);
        // What the live worker measured is kept, and is only its own.
        expect(result.counts.sentMsgs).toBe(result.workers![0]!.sentMsgs);
        expect(result.counts.sentMsgs).toBeGreaterThan(0);
        const written = JSON.parse(await readFile(join(dir, "lost", "results.json"), "utf8"));
        expect(written.workers[1].status).toBe("lost");
      } finally {
        await local.stop();
        // The killed worker could not remove its segment's files.
        const left = (await readdir(tmpdir())).filter((n) => n.startsWith(`bb-worker-${local.pids[1]}-`));
        for (const name of left) await rm(join(tmpdir(), name), { recursive: true, force: true });
      }
    },
    120_000,
  );
});
