/**
 * End-to-end throughput of the runner on the embedded reference broker: 1 producer → 1 partition →
 * 1 consumer, 100-byte messages, batches of 100, at max rate, with the history recorded in each
 * encoding (compact, the default; JSON lines) and without. Runs alternate (compact, jsonl, off,
 * compact, ...) so that machine noise hits all alike; medians are printed, the cost of recording
 * as 1 − on/off, and the history's bytes a message on disk.
 * Target: ≥ 1,000,000 msg/s end to end, recording costing ≤ 20 %, ≤ 40 bytes a message.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Delivery, SendAck } from "../adapters/contract.js";
import { findAdapter } from "../adapters/registry.js";
import {
  HISTORY_ENCODINGS,
  type HistoryEncoding,
  HistoryRecorder,
  historyFileName,
} from "../harness/history/index.js";
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

type Arm = HistoryEncoding | "off";
const ARMS: readonly Arm[] = [...HISTORY_ENCODINGS, "off"];

async function once(
  arm: Arm,
  dir: string,
): Promise<{ e2e: number; publish: number; mb: number; bytesPerMsg: number | null }> {
  const [run] = parseWorkloadText(WORKLOAD, "bench/runner.ts");
  const runDir = join(dir, arm);
  const r = await executeRun({
    run: run!,
    runId: `${arm}-${Math.random().toString(36).slice(2, 8)}`,
    factory: findAdapter("reference"),
    settings: {},
    dir: runDir,
    history: arm !== "off",
    ...(arm !== "off" ? { historyEncoding: arm } : {}),
    check: null,
  });
  if (r.status !== "completed") throw new Error(`bench run ${r.status}: ${r.reason}`);
  const bytes = r.history === null ? null : (await stat(join(runDir, r.history))).size;
  return {
    e2e: r.throughput.consumeMsgsPerSec,
    publish: r.throughput.publishMsgsPerSec,
    mb: r.throughput.consumeMBPerSec,
    bytesPerMsg: bytes === null ? null : bytes / Math.max(1, r.counts.sentMsgs),
  };
}

const rate = (v: number) => Math.round(v).toLocaleString("en-US");

export const runnerBenchmark: Benchmark = {
  name: "runner",
  describe:
    "embedded end to end, 1 producer → 1 partition → 1 consumer, 100 B, batches of 100, max rate, history per encoding and off",
  async run() {
    const e2e = new Map<Arm, number[]>(ARMS.map((a) => [a, []]));
    const bytes = new Map<Arm, number[]>(ARMS.map((a) => [a, []]));
    for (let i = 0; i < ROUNDS; i++) {
      for (const arm of ARMS) {
        const dir = await mkdtemp(join(tmpdir(), "bb-bench-runner-"));
        try {
          const r = await once(arm, dir);
          e2e.get(arm)!.push(r.e2e);
          if (r.bytesPerMsg !== null) bytes.get(arm)!.push(r.bytesPerMsg);
          console.log(
            `  round ${i + 1} history ${arm.padEnd(7)}: ${rate(r.e2e)} msg/s end to end (publish ` +
              `${rate(r.publish)} msg/s, ${r.mb.toFixed(1)} MB/s)` +
              (r.bytesPerMsg === null ? "" : `, ${r.bytesPerMsg.toFixed(2)} bytes a message on disk`),
          );
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    }
    const off = e2e.get("off")!;
    const figures: Record<string, number> = { historyOffMsgsPerSec: Math.round(median(off)) };
    for (const arm of HISTORY_ENCODINGS) {
      const on = e2e.get(arm)!;
      const costPct = (1 - median(on) / median(off)) * 100;
      // Each round's runs are adjacent in time, so their ratio is the least disturbed by noise.
      const pairedCostPct = (1 - median(on.map((v, i) => v / off[i]!))) * 100;
      const perMsg = median(bytes.get(arm)!);
      console.log(
        `  median of ${ROUNDS}, ${arm}: ${rate(median(on))} msg/s against ${rate(median(off))} msg/s without a ` +
          `history: recording costs ${costPct.toFixed(1)} % (median of the rounds' own ratios: ` +
          `${pairedCostPct.toFixed(1)} %), ${perMsg.toFixed(2)} bytes a message ` +
          "(target: ≥ 1,000,000 msg/s, cost ≤ 20 %, ≤ 40 bytes a message)",
      );
      figures[`${arm}MsgsPerSec`] = Math.round(median(on));
      figures[`${arm}CostPct`] = Math.round(costPct * 10) / 10;
      figures[`${arm}CostPairedPct`] = Math.round(pairedCostPct * 10) / 10;
      figures[`${arm}BytesPerMsg`] = Math.round(perMsg * 100) / 100;
    }
    return figures;
  },
};

/**
 * The recorder alone: the lines of 2,000,000 messages in the 1 → 1 → 1 pattern (send invoke and ok,
 * poll, commit per batch of 100), written to a file, in each encoding. Shows what recording costs
 * the run's thread (numbers into an event chunk), what the worker sustains (encoding and writing),
 * and the bytes a message takes on disk.
 */
export const historyBenchmark: Benchmark = {
  name: "history",
  describe: "history recorder alone: 2M messages in batches of 100, worker thread, to a file, per encoding",
  async run() {
    const n = 2_000_000;
    const b = 100;
    const figures: Record<string, number | string> = {};
    for (const encoding of HISTORY_ENCODINGS) {
      const dir = await mkdtemp(join(tmpdir(), "bb-bench-history-"));
      try {
        const path = join(dir, historyFileName(encoding));
        const rec = new HistoryRecorder(path);
        const topic = "bb-0a1b2c-0";
        const payload = new Uint8Array(0);
        const deliveries: Delivery[] = [];
        const acks: SendAck[] = [];
        const ids = { procs: new Uint32Array(b).fill(1), seqs: new Uint32Array(b) };
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        for (let s = 0; s < n; s += b) {
          const batch = { process: 1, topic, firstSeq: s, count: b, keys: null };
          rec.sendInvoke(batch);
          for (let i = 0; i < b; i++) {
            acks[i] = { partition: 0, offset: s + i };
            deliveries[i] = { topic, partition: 0, offset: s + i, key: null, payload, redelivered: false };
            ids.seqs[i] = s + i;
          }
          rec.sendOk(batch, acks);
          rec.pollOk(2, "g1", deliveries, ids);
          rec.commit(2, "g1", { kind: "offsets", offsets: [{ topic, partition: 0, offset: s + b }] }, ids, b);
        }
        const runThreadMs = performance.now() - t0;
        await rec.close();
        const totalMs = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        const onThread = Math.round((n / runThreadMs) * 1000);
        const total = Math.round((n / totalMs) * 1000);
        const nsPerMsg = Math.round(((cpu.user + cpu.system) * 1000) / n);
        const bytesPerMsg = (await stat(path)).size / n;
        console.log(
          `  ${encoding}, ${rec.thread} thread: run thread hands over ${onThread.toLocaleString("en-US")} msg/s ` +
            `to the recorder, written end to end ${total.toLocaleString("en-US")} msg/s; ${nsPerMsg} ns CPU a ` +
            `message over both threads; ${bytesPerMsg.toFixed(2)} bytes a message on disk`,
        );
        figures["recorderThread"] = rec.thread;
        figures[`${encoding}HandOverMsgsPerSec`] = onThread;
        figures[`${encoding}WrittenMsgsPerSec`] = total;
        figures[`${encoding}CpuNsPerMsg`] = nsPerMsg;
        figures[`${encoding}BytesPerMsg`] = Number(bytesPerMsg.toFixed(2));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    return figures;
  },
};
