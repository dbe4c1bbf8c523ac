/**
 * `server: spawn` on an adapter other than the reference: the run starts a private redis-server
 * (harness/services/redis) on a free port with the workload's `serverProfile`, points the adapter
 * at it, and broker-crash SIGKILLs and restarts it while a stalled consumer has left acknowledged
 * entries unread. `durable` (appendfsync always) loses none of them, `default` (no AOF) loses them
 * all. After every run, after a Ctrl-C and after a second Ctrl-C (process.exit), no process uses the
 * BROKERBENCH_HOME and no instance directory is left. ~10 s a run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { redisStreamsFactory } from "../../adapters/redis-streams/descriptor.js";
import { servicesRequired } from "../../adapters/test/services.js";
import { checkHistoryFile } from "../../checkers/index.js";
import type { RunResult } from "../../core/results.js";
import { processesUsing } from "../services/leftovers.js";
import { serviceDefinition } from "../services/registry.js";
import { builtinWorkloadDir, parseWorkloadText } from "../workload/index.js";
import { executeRun } from "./index.js";

const home = mkdtempSync(join(tmpdir(), "bb-private-broker-"));
// The runner starts its broker under the process's BROKERBENCH_HOME: this file's own.
process.env.BROKERBENCH_HOME = join(home, "bb");
const missing = serviceDefinition("redis").missing({ env: process.env, cacheDir: home });
const skip = missing !== null && !servicesRequired();
const BIN = join(builtinWorkloadDir(), "..", "bin", "brokerbench.js");
const built = existsSync(join(builtinWorkloadDir(), "..", "dist", "harness", "cli", "cli.js"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const workload = (profile: string, durationS = 6) =>
  [
    "rate: 2000",
    "batchSize: 20",
    `durationS: ${durationS}`,
    "warmupS: 0.5",
    "drainTimeoutS: 10",
    "deliveryMode: at-least-once",
    "delivery: pull",
    "server: spawn",
    `serverProfile: ${profile}`,
    "faults:",
    // The consumer is held back until the crash, so acknowledged entries wait unread in the broker.
    "  - { at: 1.5, duration: 1.5, kind: consumer-stall, target: consumer:0 }",
    "  - { at: 3, duration: 1, kind: broker-crash, target: broker }",
  ].join("\n");

let n = 0;
async function run(yaml: string): Promise<RunResult> {
  const [point] = parseWorkloadText(yaml, "private-broker.yaml");
  const runDir = join(home, `run-${++n}`);
  return executeRun({
    run: point!,
    runId: `run-${n}`,
    factory: redisStreamsFactory,
    settings: {},
    dir: runDir,
    history: true,
    check: (path, expect) => checkHistoryFile(path, { expect }),
  });
}

/** Nothing of any private instance is left: no directory under services/, no process using the home. */
function expectNothingLeft(bbHome: string): void {
  const services = join(bbHome, "services");
  expect(existsSync(services) ? readdirSync(services) : []).toEqual([]);
  expect(processesUsing(bbHome)).toEqual([]);
}

describe.skipIf(skip)(
  `server: spawn with a private redis-server${skip ? ` — SKIPPED: ${missing}` : ""}`,
  () => {
    it("durable: broker-crash over a backlog loses no acknowledged entry; nothing is left after", async () => {
      if (missing !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${missing}`);
      const r = await run(workload("durable"));
      expect(r.status, r.reason ?? "").toBe("completed");
      expect(r.adapter.settings["url"] ?? "").not.toMatch(/:6379$/);
      expect(r.faults).toMatchObject([
        { kind: "consumer-stall" },
        { kind: "broker-crash", target: "broker" },
      ]);
      expect(r.verdict?.counts.lost).toBe(0);
      expect(r.verdict?.valid).toBe(true);
      expect(r.counts.ackedMsgs).toBeGreaterThan(5000);
      expectNothingLeft(process.env.BROKERBENCH_HOME!);
    }, 90_000);

    it("default: the same crash loses the unread acknowledged entries (no AOF, no snapshot yet)", async () => {
      const r = await run(workload("default"));
      expect(r.status, r.reason ?? "").toBe("completed");
      // The stall held back ~1.5 s at 2,000 msg/s; the kill takes whatever was unread with it.
      expect(r.verdict?.counts.lost).toBeGreaterThan(1000);
      expect(r.verdict?.valid).toBe(false);
      expectNothingLeft(process.env.BROKERBENCH_HOME!);
    }, 90_000);

    it("a profile the service lacks is not supported, with the profiles it has", async () => {
      const r = await run(workload("quorum"));
      expect(r.status).toBe("not-supported");
      expect(r.reason).toBe(
        'redis-streams: server: spawn: the redis service has no profile "quorum" (profiles: default, durable)',
      );
    });
  },
);

/** Runs the CLI on `yaml`; once its history exists, sends SIGINT at each of `signals` (ms). */
function interrupted(
  yaml: string,
  bbHome: string,
  signals: readonly number[],
  signal: NodeJS.Signals = "SIGINT",
): Promise<{ code: number | string | null; running: string[] }> {
  const out = join(home, `cli-${++n}`);
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, "run", yaml, "-a", "redis-streams", "-o", out, "--report", "none"],
      {
        env: { ...process.env, BROKERBENCH_HOME: bbHome },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let exited = false;
    let running: string[] = [];
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code, killedBy) => {
      exited = true;
      if (code !== 130) console.error(stderr);
      resolve({ code: code ?? killedBy, running });
    });
    void (async () => {
      const runDir = join(out, "w");
      for (let i = 0; i < 600 && !exited && !existsSync(join(runDir, "history.bbh")); i++) await sleep(50);
      await sleep(1500);
      // What runs just before the Ctrl-C: the run's private instance.
      running = readdirSync(join(bbHome, "services")).filter(
        (name) => processesUsing(join(bbHome, "services", name)).length > 0,
      );
      let last = 0;
      for (const at of signals) {
        await sleep(at - last);
        last = at;
        if (!exited) child.kill(signal);
      }
    })();
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip || !built)("Ctrl-C of a run with a private broker (needs dist/)", () => {
  it("one Ctrl-C: the run winds down and stops and removes its broker", async () => {
    const bbHome = join(home, "ctrl-c-once");
    const yaml = join(home, "w.yaml");
    writeFileSync(yaml, workload("durable", 12));
    const e = await interrupted(yaml, bbHome, [0]);
    expect(e.code).toBe(130);
    expect(e.running).toEqual([expect.stringMatching(/^redis-run-\d+-[0-9a-f]{6}$/)]);
    expectNothingLeft(bbHome);
  }, 90_000);

  it("a second Ctrl-C quits at once, and the exit still kills and removes the broker", async () => {
    const bbHome = join(home, "ctrl-c-twice");
    const yaml = join(home, "w.yaml");
    writeFileSync(yaml, workload("durable", 12));
    const e = await interrupted(yaml, bbHome, [0, 100]);
    expect(e.code).toBe(130);
    expect(e.running).toEqual([expect.stringMatching(/^redis-run-\d+-[0-9a-f]{6}$/)]);
    expectNothingLeft(bbHome);
  }, 90_000);

  it("SIGTERM: the process ends by the signal, and its broker with it", async () => {
    const bbHome = join(home, "sigterm");
    const yaml = join(home, "w.yaml");
    writeFileSync(yaml, workload("durable", 12));
    const e = await interrupted(yaml, bbHome, [0], "SIGTERM");
    expect(e.code).toBe("SIGTERM");
    expect(e.running).toEqual([expect.stringMatching(/^redis-run-\d+-[0-9a-f]{6}$/)]);
    expectNothingLeft(bbHome);
  }, 90_000);
});
