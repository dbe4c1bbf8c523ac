/**
 * A run says what it can be trusted for (issue 11): no "completed, valid" without evidence
 * (defect 1), sizes beyond what the adapter accepts refused and memory beyond a stated bound warned
 * (defect 8), and an interrupted run keeps what it measured (defect 3).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { natsFactory } from "../../adapters/nats/index.js";
import { referenceAdapter } from "../../adapters/reference/index.js";
import { type RunningBrokerServer, startBrokerServer } from "../../adapters/reference/server/run.js";
import { serviceGate } from "../../adapters/test/index.js";
import { checkHistoryFile } from "../../checkers/index.js";
import { readHistoryText } from "../../core/history/compact-file.js";
import type { RunResult } from "../../core/results.js";
import { RunMetrics } from "../metrics/index.js";
import { parseWorkloadText } from "../workload/index.js";
import { missingEvidence } from "./evidence.js";
import { MEMORY_BOUND_BYTES, memoryEstimate, memoryWarning } from "./memory.js";
import type { RunOptions } from "./options.js";
import { executeRun } from "./run.js";

/** Ids of `n` messages of producer process 1, sequences from `from`: what onDelivered reads. */
const ids = (n: number, from = 0): [number[], number[]] => [
  Array.from({ length: n }, () => 1),
  Array.from({ length: n }, (_, i) => from + i),
];

const nats = await serviceGate("nats", "127.0.0.1", 4222);
const dir = mkdtempSync(join(tmpdir(), "bb-trust-"));
let n = 0;

async function run(
  yaml: string,
  extra: Partial<RunOptions> = {},
): Promise<RunResult & { dir: string; warned: string[] }> {
  const [point] = parseWorkloadText(yaml, "trust.yaml");
  const runDir = join(dir, `run-${++n}`);
  const warned: string[] = [];
  const result = await executeRun({
    run: point!,
    runId: `run-${n}`,
    factory: referenceAdapter,
    settings: {},
    dir: runDir,
    history: true,
    check: (path, expect) => checkHistoryFile(path, { expect }),
    onWarning: (line) => warned.push(line),
    ...extra,
  });
  const written = JSON.parse(readFileSync(join(runDir, "results.json"), "utf8")) as RunResult;
  expect(written.status).toBe(result.status);
  return { ...result, dir: runDir, warned };
}

const workload = (yaml: string) => parseWorkloadText(yaml, "w.yaml")[0]!.workload;

describe("no verdict without evidence (defect 1)", () => {
  it("every send failed (a broker with a smaller frame cap): inconclusive, the broker's reason given", async () => {
    let server: RunningBrokerServer | null = null;
    try {
      server = await startBrokerServer({
        host: "127.0.0.1",
        port: 0,
        dataDir: join(dir, "small-frames"),
        flush: "none",
        maxFrameBytes: 100_000,
      });
      const r = await run(
        "rate: 10\ndurationS: 1.5\nwarmupS: 0.2\nbatchSize: 1\nmessageSize: 200000\ndeliveryMode: at-most-once\n",
        { settings: { url: `127.0.0.1:${server.port}` } },
      );
      expect(r.status).toBe("inconclusive");
      expect(r.reason).toMatch(
        /^every send failed: 15 of 15 message\(s\) \(first error: .*MESSAGE_TOO_LARGE/,
      );
      expect(r.verdict).toBeNull();
      expect(r.counts.failedMsgs).toBe(15);
    } finally {
      await server?.close();
    }
  });

  it("every message inside the warmup (--messages 100): inconclusive, nothing measured", async () => {
    const r = await run("messages: 100\nrate: 20000\nwarmupS: 1\n");
    expect(r.status).toBe("inconclusive");
    expect(r.reason).toMatch(/^every message fell inside the warmup \(1 s\): nothing was measured/);
    expect(r.counts.ackedMsgs).toBe(100);
  });

  it("a run with evidence completes, and the rules hold at their edges", () => {
    const w = workload("warmupS: 0\n");
    const m = new RunMetrics({ startMs: 0, warmupS: 0, messageBytes: 100, groups: ["g1"] });
    m.onSending(10);
    m.onSendFailed(6, true);
    m.onAcked(4, 1, 1, 2);
    expect(missingEvidence(m.summary(), w, "nope")).toBe(
      "most sends failed: 6 of 10 message(s) not acknowledged (first error: nope)",
    );
    m.onSending(2);
    m.onAcked(2, 1, 1, 2);
    // 6 of 12 not acknowledged is not "most"; but nothing was delivered.
    expect(missingEvidence(m.summary(), w, null)).toBe(
      "nothing was delivered: 6 message(s) acknowledged, none received by any group",
    );
    m.onDelivered(0, 6, 3, ...ids(6));
    m.onEndToEnd(6, 1, 1, 3);
    expect(missingEvidence(m.summary(), w, null)).toBeNull();
  });
});

describe("message sizes and memory (defect 8)", () => {
  it("a message above the reference broker's limit is refused before anything connects", async () => {
    const r = await run("rate: 10\ndurationS: 1\nwarmupS: 0\nbatchSize: 1\nmessageSize: 104857600\n");
    expect(r.status).toBe("not-supported");
    expect(r.reason).toBe(
      "reference: messageSize 104,857,600 bytes is above the largest message it accepts (16,773,120 bytes)",
    );
  });

  it.skipIf(nats.skip)(
    `NATS: above the server's max_payload, refused, nothing sent (${nats.reason})`,
    async () => {
      // A connection states the server's own limit (INFO max_payload).
      const adapter = await natsFactory.connect({});
      try {
        expect(adapter.capabilities.maxMessageBytes).toBe(1024 * 1024);
      } finally {
        await adapter.close();
      }
      const r = await run(
        "rate: 10\ndurationS: 1\nwarmupS: 0\nbatchSize: 1\nmessageSize: 2000000\ndeliveryMode: at-most-once\n",
        {
          factory: natsFactory,
        },
      );
      expect(r.status).toBe("not-supported");
      expect(r.reason).toMatch(
        /^nats: messageSize 2,000,000 bytes is above the largest message it accepts \([\d,]+ bytes\)$/,
      );
      expect(r.counts.sentMsgs).toBe(0);
    },
  );

  it("warns, with the stated bound, when the payloads a run may hold exceed it", async () => {
    // 10 MB messages at 50 msg/s for 10 s on the embedded broker: its log alone keeps ~5 GB.
    const heavy = workload("rate: 50\ndurationS: 10\nbatchSize: 1\nmessageSize: 10000000\nprefetch: 10\n");
    const e = memoryEstimate(heavy, "reference", {});
    expect(e.bytes).toBeGreaterThan(5e9);
    expect(e.parts[0]).toMatch(/kept by the embedded broker's log/);
    expect(memoryWarning(heavy, "reference", {})).toMatch(
      /^this run may hold [\d.]+ GiB of messages in memory .* above the [\d.]+ GiB bound \(2\.0 GiB, or the memory free now if less\)/,
    );
    // The same over a broker elsewhere keeps only what is in flight.
    expect(memoryEstimate(heavy, "reference", { url: "h:1" }).bytes).toBeLessThan(MEMORY_BOUND_BYTES);
    expect(memoryWarning(workload("rate: 1000\ndurationS: 3\n"), "reference", {})).toBeNull();
    // No more than the run sends can be prefetched: 5 messages of 16 MB warn of nothing.
    const five = workload("messages: 5\nbatchSize: 1\nmessageSize: 16000000\nprefetch: 1000\n");
    expect(memoryWarning(five, "reference", {})).toBeNull();
    // Reported before the run starts, and in results.json (here a broker that is not there: the
    // run ends at once, its warning kept).
    const r = await run("rate: 1000\ndurationS: 10\nbatchSize: 1\nmessageSize: 16000000\nprefetch: 1000\n", {
      settings: { url: "127.0.0.1:1" },
    });
    expect(r.status).toBe("error");
    expect(r.warned).toHaveLength(1);
    expect(r.warned[0]).toMatch(/GiB pushed or polled ahead/);
    expect(r.warnings).toEqual(r.warned);
  });
});

describe("an interrupted run (defect 3)", () => {
  it("stops producing, drains briefly, keeps a well-formed history and says interrupted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1200);
    const started = performance.now();
    const r = await run("rate: 2000\ndurationS: 30\nwarmupS: 0.2\nbatchSize: 20\n", {
      signal: controller.signal,
    });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(r.status).toBe("interrupted");
    expect(r.reason).toMatch(
      /^interrupted \(Ctrl-C\) after [\d.]+ s of producing: what was measured is kept/,
    );
    expect(r.verdict).toBeNull();
    expect(r.counts.ackedMsgs).toBeGreaterThan(500);
    expect(r.brokerPrefix).toMatch(/^bb-[0-9a-f]{6}$/);
    // The history is whole (every block intact) and can be judged afterwards.
    const lines = readHistoryText(join(r.dir, "history.bbh"))
      .split("\n")
      .filter((l) => l !== "");
    expect(lines.filter((l) => l.includes('"f":"drain"')).length).toBeGreaterThan(0);
    const v = await checkHistoryFile(join(r.dir, "history.bbh"));
    expect(v.messages.acknowledged).toBe(r.counts.ackedMsgs);
    expect(v.valid).toBe(true);
  });
});
