/**
 * End-to-end throughput of the runner on the embedded reference broker: 1 producer → 1 partition →
 * 1 consumer, 100-byte messages, batches of 100, at max rate, with the history recorded and without.
 * Runs alternate (on, off, on, off, ...) so that machine noise hits both alike; medians are printed,
 * and the cost of recording as 1 − on/off.
 * Target: ≥ 1,000,000 msg/s end to end, recording costing ≤ 20 %.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findAdapter } from "../adapters/registry.js";
import { executeRun } from "../harness/runner/index.js";
import { parseWorkloadText } from "../harness/workload/index.js";
import type { Benchmark } from "./bench.js";

const ROUNDS = Number(process.env["BENCH_RUNNER_ROUNDS"] ?? 5);
const DURATION_S = Number(process.env["BENCH_RUNNER_SECONDS"] ?? 4);

const WORKLOAD = `
name: bench-1p-1c
topics: 1
partitions: 1
messageSize: 100
producersPerTopic: 1
rate: max
batchSize: 100
groups: 1
consumersPerGroup: 1
delivery: push
deliveryMode: at-least-once
durationS: ${DURATION_S}
warmupS: 1
`;

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function once(history: boolean, dir: string): Promise<{ e2e: number; publish: number; mb: number }> {
  const [run] = parseWorkloadText(WORKLOAD, "bench/runner.ts");
  const r = await executeRun({
    run: run!,
    runId: `${history ? "history" : "no-history"}-${Math.random().toString(36).slice(2, 8)}`,
    factory: findAdapter("reference"),
    settings: {},
    dir: join(dir, history ? "on" : "off"),
    history,
    check: null,
  });
  if (r.status !== "completed") throw new Error(`bench run ${r.status}: ${r.reason}`);
  return {
    e2e: r.throughput.consumeMsgsPerSec,
    publish: r.throughput.publishMsgsPerSec,
    mb: r.throughput.consumeMBPerSec,
  };
}

export const runnerBenchmark: Benchmark = {
  name: "runner",
  describe: "embedded end to end, 1 producer → 1 partition → 1 consumer, 100 B, batches of 100, max rate",
  async run() {
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const history of [true, false]) {
        const dir = await mkdtemp(join(tmpdir(), "bb-bench-runner-"));
        try {
          const r = await once(history, dir);
          (history ? on : off).push(r.e2e);
          console.log(
            `  round ${i + 1} history ${history ? "on " : "off"}: ${Math.round(r.e2e).toLocaleString("en-US")} msg/s ` +
              `end to end (publish ${Math.round(r.publish).toLocaleString("en-US")} msg/s, ${r.mb.toFixed(1)} MB/s)`,
          );
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    }
    const withHistory = median(on);
    const withoutHistory = median(off);
    const costPct = (1 - withHistory / withoutHistory) * 100;
    console.log(
      `  median of ${ROUNDS}: history on ${Math.round(withHistory).toLocaleString("en-US")} msg/s, ` +
        `off ${Math.round(withoutHistory).toLocaleString("en-US")} msg/s, recording costs ${costPct.toFixed(1)} % ` +
        `(target: ≥ 1,000,000 msg/s, cost ≤ 20 %)`,
    );
    return {
      historyOnMsgsPerSec: Math.round(withHistory),
      historyOffMsgsPerSec: Math.round(withoutHistory),
      historyCostPct: Math.round(costPct * 10) / 10,
    };
  },
};
