/**
 * Ctrl-C, for real (issue 11, defect 3): a `brokerbench run` child process gets SIGINT mid-run.
 * The first stops the run gracefully: exit 130, results.json `interrupted`, the reports, a history
 * that `check` reads, and nothing of the run left on the broker (asked of RabbitMQ with rabbitmqctl,
 * of JetStream and Redis through their own APIs). A second Ctrl-C exits at once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { connect } from "nats";
import { describe, expect, it } from "vitest";
import { listAmqpResources } from "../../adapters/rabbitmq/listing.js";
import { serviceGate } from "../../adapters/test/index.js";
import { checkHistoryFile } from "../../checkers/index.js";
import type { RunResult } from "../../core/results.js";

const BIN = fileURLToPath(new URL("../../bin/brokerbench.js", import.meta.url));
const built = existsSync(fileURLToPath(new URL("../../dist/harness/cli/cli.js", import.meta.url)));
const rabbit = await serviceGate("rabbitmq", "127.0.0.1", 5672);
const nats = await serviceGate("nats", "127.0.0.1", 4222);
const redis = await serviceGate("redis", "127.0.0.1", 6379);

const dir = mkdtempSync(join(tmpdir(), "bb-interrupt-"));
const long = join(dir, "long.yaml");
writeFileSync(long, "rate: 5000\ndurationS: 12\nwarmupS: 0.5\nbatchSize: 50\n");
const longPull = join(dir, "long-pull.yaml");
writeFileSync(longPull, "rate: 5000\ndurationS: 12\nwarmupS: 0.5\nbatchSize: 50\ndelivery: pull\n");
// A consumer slowed for the whole run keeps a backlog, so the graceful stop takes its full drain
// and the second Ctrl-C surely lands while it is under way (the embedded broker otherwise
// catches up and exits before a second signal 200 ms later).
const stalled = join(dir, "stalled.yaml");
writeFileSync(
  stalled,
  "rate: 5000\ndurationS: 12\nwarmupS: 0.5\nbatchSize: 50\nfaults:\n" +
    "  - { at: 0.5, duration: 11, kind: consumer-stall, target: consumer:0, slowRate: 50 }\n",
);

interface Exit {
  readonly code: number | null;
  readonly stderr: string;
  /** Milliseconds from the last SIGINT to the exit. */
  readonly afterSignalMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `brokerbench run` into `out`; once its run is producing (its history file exists, then
 * `afterMs`), sends SIGINT at each of `signals` (ms from then); resolves with the exit.
 */
function runAndInterrupt(
  args: readonly string[],
  out: string,
  runId: string,
  signals: readonly number[],
  afterMs = 2000,
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, "run", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout?.resume();
    let lastSignal = 0;
    let exited = false;
    void (async () => {
      // The process starts slowly on a loaded machine: wait for the run itself.
      for (let i = 0; i < 600 && !exited && !existsSync(join(out, runId, "history.bbh")); i++)
        await sleep(50);
      await sleep(afterMs);
      for (const [i, at] of signals.entries()) {
        await sleep(at - (signals[i - 1] ?? 0));
        if (exited) return;
        lastSignal = performance.now();
        child.kill("SIGINT");
      }
    })();
    child.on("error", reject);
    child.on("exit", (code) => {
      exited = true;
      resolve({ code, stderr, afterSignalMs: performance.now() - lastSignal });
    });
  });
}

function resultOf(out: string, runId: string): RunResult {
  return JSON.parse(readFileSync(join(out, runId, "results.json"), "utf8")) as RunResult;
}

async function expectKeptAndReadable(out: string, runId: string): Promise<RunResult> {
  const r = resultOf(out, runId);
  expect(r.status).toBe("interrupted");
  expect(r.counts.ackedMsgs).toBeGreaterThan(0);
  expect(existsSync(join(out, "report.html"))).toBe(true);
  const v = await checkHistoryFile(join(out, runId, r.history!));
  expect(v.messages.acknowledged).toBe(r.counts.ackedMsgs);
  return r;
}

describe.skipIf(!built)("Ctrl-C during brokerbench run (needs dist/: npm run build)", () => {
  it.skipIf(rabbit.skip)(
    `RabbitMQ: exit 130, results kept, no queue or exchange of the run left (${rabbit.reason})`,
    async () => {
      const out = join(dir, "rabbitmq");
      const e = await runAndInterrupt([long, "--adapter", "rabbitmq", "-o", out], out, "long", [0]);
      expect(e.code, e.stderr).toBe(130);
      expect(e.stderr).toMatch(/interrupted: stopping this run and keeping what it measured/);
      const r = await expectKeptAndReadable(out, "long");
      const left = await listAmqpResources("amqp://guest:guest@127.0.0.1:5672", "");
      expect([...left.queues, ...left.exchanges].filter((n) => n.startsWith(r.brokerPrefix!))).toEqual([]);
    },
    90_000,
  );

  it.skipIf(nats.skip)(
    `JetStream: exit 130, no stream of the run left (${nats.reason})`,
    async () => {
      const out = join(dir, "jetstream");
      const e = await runAndInterrupt([long, "--adapter", "jetstream", "-o", out], out, "long", [0]);
      expect(e.code, e.stderr).toBe(130);
      const r = await expectKeptAndReadable(out, "long");
      const nc = await connect({ servers: "nats://127.0.0.1:4222" });
      try {
        const names: string[] = [];
        for await (const s of (await nc.jetstreamManager()).streams.names()) names.push(s);
        expect(names.filter((s) => s.includes(r.brokerPrefix!))).toEqual([]);
      } finally {
        await nc.close();
      }
    },
    90_000,
  );

  it.skipIf(redis.skip)(
    `Redis Streams: exit 130, no key of the run left (${redis.reason})`,
    async () => {
      const out = join(dir, "redis-streams");
      const e = await runAndInterrupt(
        [longPull, "--adapter", "redis-streams", "-o", out],
        out,
        "long-pull",
        [0],
      );
      expect(e.code, e.stderr).toBe(130);
      const r = await expectKeptAndReadable(out, "long-pull");
      const client = new Redis("redis://127.0.0.1:6379");
      try {
        expect(await client.keys(`${r.brokerPrefix}*`)).toEqual([]);
      } finally {
        client.disconnect();
      }
    },
    90_000,
  );

  it("a second Ctrl-C exits at once", async () => {
    const out = join(dir, "twice");
    const e = await runAndInterrupt([stalled, "-o", out], out, "stalled", [0, 200], 1000);
    expect(e.code, e.stderr).toBe(130);
    expect(e.stderr).toMatch(/quitting at once/);
    // The graceful path takes its 2 s drain and a teardown: "at once" is well below that, even loaded.
    expect(e.afterSignalMs).toBeLessThan(2000);
  }, 60_000);
});
