/**
 * Load from several processes (issue 17): the same NATS core run from this one process, then from
 * 1, 2 and 4 local worker processes (`brokerbench run --workers N`: the coordinator's path,
 * executeDistributedRun), and — as root with `ip` — from 1 and 3 network-namespace "hosts"
 * (NamespaceHosts: their own nats-server in a further namespace, so compare those two with each
 * other). Figures are consumed msg/s and end-to-end p99 (corrected), ratios within
 * one run; the load average is printed with them (the machine is shared).
 *
 * Workload: 1 topic, 4 producers, a queue group of 4 consumers, 100 B messages in batches of 100,
 * at-most-once, rate max, no history (what the client processes can push is the figure).
 *
 * Env: BENCH_WORKERS_SECONDS (5), BENCH_WORKERS_ROUNDS (1), BENCH_WORKERS_NATS_URL (the adapter's default).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { findAdapter } from "../adapters/registry.js";
import type { RunResult } from "../core/results.js";
import { hostsUnavailable } from "../harness/hosts/index.js";
import { executeRun, type RunOptions } from "../harness/runner/index.js";
import {
  executeDistributedRun,
  LocalWorkers,
  NamespaceHosts,
  type WorkerClient,
} from "../harness/workers/index.js";
import { parseWorkloadText } from "../harness/workload/index.js";
import type { Benchmark } from "./bench.js";

const SECONDS = Number(process.env["BENCH_WORKERS_SECONDS"] ?? 5);
const ROUNDS = Number(process.env["BENCH_WORKERS_ROUNDS"] ?? 1);
const NATS_URL = process.env["BENCH_WORKERS_NATS_URL"];

const WORKLOAD = `
description: NATS core from several processes
topics: 1
producersPerTopic: 4
consumersPerGroup: 4
messageSize: 100
batchSize: 100
rate: max
deliveryMode: at-most-once
durationS: ${SECONDS}
warmupS: 1
`;

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const loadAvg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

/** One point: the run in this process (workers null) or over the given workers. */
async function point(
  label: string,
  workers: readonly WorkerClient[] | null,
  dir: string,
  url = NATS_URL,
): Promise<RunResult> {
  const options: RunOptions = {
    run: parseWorkloadText(WORKLOAD, "workers-bench.yaml")[0]!,
    runId: label,
    factory: findAdapter("nats"),
    settings: url === undefined ? {} : { url },
    dir: path.join(dir, label),
    history: false,
    check: null,
  };
  const r =
    workers === null
      ? await executeRun(options)
      : // Namespace hosts are checked as remote ones: at load 10 a loopback round trip can take 10 ms.
        await executeDistributedRun(options, { workers, workerWaitS: 10, clockBoundMs: 20 });
  const consumed = r.throughput.consumeMsgsPerSec;
  console.log(
    `${label.padEnd(22)} ${r.status.padEnd(10)} consumed ${fmt(consumed).padStart(9)} msg/s  published ${fmt(
      r.throughput.publishMsgsPerSec,
    ).padStart(9)} msg/s  e2e p99 ${r.latency.endToEnd.corrected.p99Ms.toFixed(1)} ms  (load ${loadAvg()})`,
  );
  if (r.status !== "completed") console.log(`  ${r.reason}`);
  return r;
}

export const workersBenchmark: Benchmark = {
  name: "workers",
  describe: "NATS core from 1 process vs 1, 2, 4 local worker processes (consumed msg/s, e2e p99)",
  async run() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bb-bench-workers-"));
    const local = await LocalWorkers.start(4);
    const figures: Record<string, number | string> = { loadBefore: loadAvg() };
    try {
      const points: [string, readonly WorkerClient[] | null][] = [
        ["in-process", null],
        ["1 worker", local.clients.slice(0, 1)],
        ["2 workers", local.clients.slice(0, 2)],
        ["4 workers", local.clients.slice(0, 4)],
      ];
      const consumed: Record<string, number[]> = {};
      const p99: Record<string, number[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate the order across rounds so that no point always runs on a warmer machine.
        const order = round % 2 === 0 ? points : [...points].reverse();
        for (const [label, workers] of order) {
          const r = await point(`${label}`, workers, path.join(dir, `round-${round}`));
          if (r.status !== "completed") throw new Error(`${label}: ${r.status}: ${r.reason}`);
          consumed[label] = [...(consumed[label] ?? []), r.throughput.consumeMsgsPerSec];
          p99[label] = [...(p99[label] ?? []), r.latency.endToEnd.corrected.p99Ms];
        }
      }
      const median = (xs: readonly number[]) => {
        const s = [...xs].sort((a, b) => a - b);
        const m = Math.floor(s.length / 2);
        return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
      };
      const base = median(consumed["1 worker"]!);
      for (const [label] of points) {
        const key = label.replace(/ /g, "");
        figures[`${key}ConsumedMsgsPerSec`] = Math.round(median(consumed[label]!));
        // Every round's figure too: on a shared machine they spread widely.
        figures[`${key}ConsumedRounds`] = consumed[label]!.map((x) => Math.round(x)).join(" ");
        figures[`${key}E2eP99Ms`] = median(p99[label]!);
        figures[`${key}VsOneWorker`] = Math.round((median(consumed[label]!) / base) * 100) / 100;
      }
      figures["loadAfter"] = loadAvg();
      console.log(
        `ratios to 1 worker: ${points.map(([l]) => `${l} ${figures[`${l.replace(/ /g, "")}VsOneWorker`]}`).join(", ")}`,
      );
      const noHosts = await hostsUnavailable();
      if (noHosts !== null) {
        console.log(`namespace hosts: skipped (${noHosts})`);
        figures["namespaceHosts"] = `skipped: ${noHosts}`;
      } else {
        const hosts = await NamespaceHosts.start(3);
        try {
          const one = await point("1 namespace host", hosts.clients.slice(0, 1), dir, hosts.natsUrl);
          const three = await point("3 namespace hosts", hosts.clients, dir, hosts.natsUrl);
          for (const [key, r] of [
            ["1nsHost", one],
            ["3nsHosts", three],
          ] as const) {
            figures[`${key}ConsumedMsgsPerSec`] = Math.round(r.throughput.consumeMsgsPerSec);
            figures[`${key}E2eP99Ms`] = r.latency.endToEnd.corrected.p99Ms;
          }
          const ratio = three.throughput.consumeMsgsPerSec / Math.max(1, one.throughput.consumeMsgsPerSec);
          figures["3nsHostsVs1nsHost"] = Math.round(ratio * 100) / 100;
          console.log(`3 namespace hosts / 1 namespace host: ${figures["3nsHostsVs1nsHost"]}`);
        } finally {
          await hosts.stop();
        }
      }
    } finally {
      await local.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
