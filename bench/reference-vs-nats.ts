/**
 * What users run: the harness itself (`executeRun`, the same path as `brokerbench run`) against the
 * reference broker over TCP (`brokerbench broker --flush none`, a child process started from the
 * CLI) and against NATS core, in the same process run so the two compare as ratios.
 *
 * Workload: `workloads/throughput.yaml` (1 producer → 1 partition → 1 consumer, 100 B messages in
 * batches of 100, push) at at-most-once, no history. Each round runs both systems at max rate
 * (alternating which goes first), then each at 50 % of the consumed rate it just reached, for p50/p99.
 *
 * One `brokerbench broker` serves every run (each run its own topic), as one nats-server does: a
 * broker is a long-running process, and one started afresh for each 5 s run spent its first 2–3 s
 * compiling (a fresh Node broker ramped from ~150 k to ~550 k msg/s over its first 3 s), which
 * measured its JIT's warm-up rather than its speed. BENCH_RVN_BROKER_PER_RUN=1 starts one per run.
 * For the same reason each system first gets one unmeasured run at max rate (as JMH's warm-up
 * iterations): this process's client code compiles during it, for NATS as for the reference
 * (in one trial, round 1 without it: NATS 296 k, reference 473 k; round 2: 410 k, 832 k).
 *
 * Targets (issue 12): reference consumed msg/s ≥ 2.0 × NATS core in the same round, consumed ≥ 95 %
 * of published with a bounded backlog; e2e p99 over TCP at 50 % of its max ≤ 5 ms.
 *
 * Env: BENCH_RVN_ROUNDS (2), BENCH_RVN_SECONDS (5), BENCH_RVN_NATS_URL (the nats adapter's default),
 * BENCH_RVN_BROKER_PER_RUN (0), BENCH_RVN_WARMUP_RUNS (1).
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AdapterSettings } from "../adapters/contract.js";
import { startChildBroker } from "../adapters/reference/server/child.js";
import { findAdapter } from "../adapters/registry.js";
import type { RunResult } from "../core/results.js";
import { longestPauseMs } from "../harness/metrics/process-pauses.js";
import { executeRun } from "../harness/runner/index.js";
import { loadWorkloadFile } from "../harness/workload/index.js";
import type { Benchmark } from "./bench.js";

const ROUNDS = Number(process.env["BENCH_RVN_ROUNDS"] ?? 2);
const SECONDS = Number(process.env["BENCH_RVN_SECONDS"] ?? 5);
const NATS_URL = process.env["BENCH_RVN_NATS_URL"];
const BROKER_PER_RUN = process.env["BENCH_RVN_BROKER_PER_RUN"] === "1";
const WARMUP_RUNS = Number(process.env["BENCH_RVN_WARMUP_RUNS"] ?? 1);

const CLI = fileURLToPath(new URL("../../bin/brokerbench.js", import.meta.url));
const WORKLOAD = fileURLToPath(new URL("../../workloads/throughput.yaml", import.meta.url));

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const loadAvg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

/** `brokerbench broker --flush none` on a free port (started as brokerbench starts every broker: server/child.ts). */
interface CliBroker {
  readonly child: ChildProcess;
  readonly url: string;
  /** CPU seconds the broker process used so far (user + system), from /proc. */
  cpuS(): number;
  stop(): Promise<void>;
}

async function startCliBroker(): Promise<CliBroker> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bb-bench-rvn-"));
  const { child, port, exited } = await startChildBroker(CLI, [
    "broker",
    "--data-dir",
    dataDir,
    "--flush",
    "none",
  ]);
  const ticks = 100; // USER_HZ on Linux
  return {
    child,
    url: `127.0.0.1:${port}`,
    cpuS() {
      try {
        const f = fs.readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        return (Number(f[11]) + Number(f[12])) / ticks;
      } catch {
        return Number.NaN;
      }
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Figures {
  readonly consumed: number;
  readonly published: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** e2e p99 from the actual send (the corrected one, p99Ms, includes how late the send was). */
  readonly p99FromSendMs: number;
  /** This process's longest pause (event loop or GC) in the measured window (results.json harnessPauses). */
  readonly harnessPauseMs: number;
  readonly backlogMax: number;
  readonly backlogFinal: number;
  /** Broker process CPU seconds during the run (reference only). */
  readonly brokerCpuS: number | null;
  /** This process's CPU seconds during the run (harness + client). */
  readonly clientCpuS: number;
}

/** One run; `shared` is the reference broker serving every run, or null to start one for this run. */
async function runOnce(
  system: "reference" | "nats",
  rate: number | "max",
  shared: CliBroker | null,
): Promise<Figures> {
  const [run] = await loadWorkloadFile(WORKLOAD, {
    deliveryMode: "at-most-once",
    durationS: SECONDS,
    rate,
  });
  const broker = system === "reference" ? (shared ?? (await startCliBroker())) : null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bb-bench-rvn-out-"));
  try {
    const settings: AdapterSettings =
      broker !== null ? { url: broker.url } : NATS_URL !== undefined ? { url: NATS_URL } : {};
    const cpu0 = process.cpuUsage();
    const brokerCpu0 = broker?.cpuS() ?? 0;
    const r: RunResult = await executeRun({
      run: run!,
      runId: `rvn-${system}-${rate}`,
      factory: findAdapter(system),
      settings,
      dir,
      history: false,
      check: null,
    });
    const cpu = process.cpuUsage(cpu0);
    if (r.status !== "completed") throw new Error(`${system} at ${rate}: ${r.status}: ${r.reason}`);
    const e2e = r.latency.endToEnd.corrected;
    return {
      consumed: r.throughput.consumeMsgsPerSec,
      published: r.throughput.publishMsgsPerSec,
      p50Ms: e2e.p50Ms,
      p99Ms: e2e.p99Ms,
      p99FromSendMs: r.latency.endToEnd.uncorrected.p99Ms,
      harnessPauseMs: r.harnessPauses === undefined ? Number.NaN : longestPauseMs(r.harnessPauses),
      backlogMax: r.backlog.maxMsgs,
      backlogFinal: r.backlog.finalMsgs,
      brokerCpuS: broker === null ? null : broker.cpuS() - brokerCpu0,
      clientCpuS: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    if (broker !== shared) await broker?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function line(label: string, f: Figures): string {
  const cpu =
    f.brokerCpuS === null
      ? `client CPU ${f.clientCpuS.toFixed(1)} s`
      : `client CPU ${f.clientCpuS.toFixed(1)} s, broker CPU ${f.brokerCpuS.toFixed(1)} s`;
  return (
    `  ${label.padEnd(28)} consumed ${fmt(f.consumed).padStart(9)} msg/s, published ${fmt(f.published).padStart(9)} msg/s ` +
    `(consumed/published ${(f.consumed / f.published).toFixed(3)}), e2e p50 ${f.p50Ms.toFixed(2)} ms p99 ${f.p99Ms.toFixed(2)} ms ` +
    `(from the send ${f.p99FromSendMs.toFixed(2)} ms; harness pause max ${f.harnessPauseMs.toFixed(1)} ms), ` +
    `backlog max ${fmt(f.backlogMax)} final ${fmt(f.backlogFinal)}; ${cpu}`
  );
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export const referenceVsNatsBenchmark: Benchmark = {
  name: "reference-vs-nats",
  describe:
    "the harness against `brokerbench broker` over TCP and NATS core: throughput.yaml, at-most-once, no history",
  async run() {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing`);
    console.log(`  load average at start: ${loadAvg()} (${os.cpus().length} cores)`);
    const ratios: number[] = [];
    const keepUp: number[] = [];
    const refHalfP99: number[] = [];
    const natsHalfP99: number[] = [];
    const refMax: number[] = [];
    const natsMax: number[] = [];
    const shared = BROKER_PER_RUN ? null : await startCliBroker();
    console.log(
      `  reference broker: ${shared === null ? "one per run" : `one for every run, at ${shared.url}`}`,
    );
    try {
      for (let w = 1; w <= WARMUP_RUNS; w++) {
        for (const system of ["reference", "nats"] as const) {
          const f = await runOnce(system, "max", shared);
          console.log(line(`warm-up ${w} ${system} max`, f), "(not counted)");
        }
      }
      for (let round = 1; round <= ROUNDS; round++) {
        const order: ("reference" | "nats")[] =
          round % 2 === 1 ? ["reference", "nats"] : ["nats", "reference"];
        const max = new Map<string, Figures>();
        for (const system of order) {
          const f = await runOnce(system, "max", shared);
          max.set(system, f);
          console.log(line(`round ${round} ${system} max`, f));
        }
        const ref = max.get("reference")!;
        const nats = max.get("nats")!;
        const ratio = ref.consumed / nats.consumed;
        ratios.push(ratio);
        keepUp.push(ref.consumed / ref.published);
        refMax.push(ref.consumed);
        natsMax.push(nats.consumed);
        console.log(
          `  round ${round}: reference/NATS consumed ${ratio.toFixed(2)}× (target ≥ 2.0); reference consumed/published ` +
            `${(ref.consumed / ref.published).toFixed(3)} (target ≥ 0.95)`,
        );
        for (const system of order) {
          const half = Math.max(1000, Math.floor(max.get(system)!.consumed / 2 / 100) * 100);
          const f = await runOnce(system, half, shared);
          (system === "reference" ? refHalfP99 : natsHalfP99).push(f.p99Ms);
          console.log(line(`round ${round} ${system} @ ${fmt(half)}/s`, f));
        }
      }
    } finally {
      await shared?.stop();
    }
    console.log(
      `  median over ${ROUNDS} rounds: reference ${fmt(median(refMax))} msg/s, NATS ${fmt(median(natsMax))} msg/s, ` +
        `ratio ${median(ratios).toFixed(2)}×; reference consumed/published ${median(keepUp).toFixed(3)}; ` +
        `p99 at 50 %: reference ${median(refHalfP99).toFixed(2)} ms (target ≤ 5), NATS ${median(natsHalfP99).toFixed(2)} ms`,
    );
    console.log(`  load average at end: ${loadAvg()}`);
    return {
      referenceConsumedMsgsPerSec: Math.round(median(refMax)),
      natsConsumedMsgsPerSec: Math.round(median(natsMax)),
      referenceToNatsRatio: Number(median(ratios).toFixed(2)),
      referenceConsumedToPublished: Number(median(keepUp).toFixed(3)),
      referenceHalfRateP99Ms: Number(median(refHalfP99).toFixed(2)),
      natsHalfRateP99Ms: Number(median(natsHalfP99).toFixed(2)),
    };
  },
};
