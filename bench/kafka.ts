/**
 * brokerbench's `kafka` adapter, run through the harness as users run it, against Kafka's own perf
 * tools from the same classpath (kafka-tools, resolved by the services framework), in one process
 * run on the same broker (BENCH_KAFKA_URL, default the Kafka at 127.0.0.1:9092):
 *
 * - throughput: `org.apache.kafka.tools.ProducerPerformance` (1 partition, 100-byte records, as
 *   fast as acknowledged, the adapter's producer settings: acks=all, no idempotence, linger 0,
 *   batch.size 16384, 5 requests in flight) against the runner's throughput workload (1 → 1
 *   partition → 1 consumer, 100 B, batches of 100, max rate, no history). Both figures and the
 *   ratio of published msg/s (target ≥ 0.5).
 * - latency: `org.apache.kafka.tools.EndToEndLatency` (one record at a time: send, wait until its
 *   consumer has it, next) against the runner at a low fixed rate with batches of 1, p50/p99.
 *
 * Rounds alternate (tool, brokerbench, tool, …) so that machine noise hits both alike.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kafkaFactory } from "../adapters/kafka/index.js";
import { executeRun } from "../harness/runner/index.js";
import { kafkaClasspath } from "../harness/services/kafka/kafka.js";
import { parseWorkloadText } from "../harness/workload/index.js";
import type { Benchmark } from "./bench.js";

const URL = process.env["BENCH_KAFKA_URL"] ?? "127.0.0.1:9092";
const ROUNDS = Number(process.env["BENCH_KAFKA_ROUNDS"] ?? 3);
const RECORDS = Number(process.env["BENCH_KAFKA_RECORDS"] ?? 300_000);
const DURATION_S = Number(process.env["BENCH_KAFKA_SECONDS"] ?? 6);
const LATENCY_RECORDS = Number(process.env["BENCH_KAFKA_LATENCY_RECORDS"] ?? 2_000);

/** The producer settings both sides use (the adapter's defaults, spelled out for the Java client). */
const PRODUCER_PROPS = [
  `bootstrap.servers=${URL}`,
  "acks=all",
  "enable.idempotence=false",
  "linger.ms=0",
  "batch.size=16384",
  "max.in.flight.requests.per.connection=5",
  "compression.type=none",
];
const ADAPTER_SETTINGS = {
  url: URL,
  acks: "all",
  idempotence: "false",
  lingerMs: "0",
  batchBytes: "16384",
  maxInFlight: "5",
};

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function java(classpath: string, main: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("java", ["-Xmx512m", "-cp", classpath, main, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${main} exited ${code}: ${out.slice(-800)}`)),
    );
  });
}

const FLOAT = "([0-9]+(?:\\.[0-9]+)?)";

/** The final line: "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, p50 ms 50th, …". */
export function parseProducerPerformance(out: string): { msgsPerSec: number; p50Ms: number; p99Ms: number } {
  const m = new RegExp(
    `records sent, ${FLOAT} records/sec.*?${FLOAT} ms 50th, ${FLOAT} ms 95th, ${FLOAT} ms 99th`,
  ).exec(
    out
      .split("\n")
      .filter((l) => l.includes("50th"))
      .at(-1) ?? "",
  );
  if (!m) throw new Error(`ProducerPerformance printed no final line: ${out.slice(-500)}`);
  return { msgsPerSec: Number(m[1]), p50Ms: Number(m[2]), p99Ms: Number(m[4]) };
}

/** "Avg latency: X ms" and "Percentiles: 50th = a, 99th = b, 99.9th = c". */
export function parseEndToEndLatency(out: string): { p50Ms: number; p99Ms: number } {
  const m = new RegExp(`50th = ${FLOAT}, 99th = ${FLOAT}`).exec(out);
  if (!m) throw new Error(`EndToEndLatency printed no percentiles: ${out.slice(-500)}`);
  return { p50Ms: Number(m[1]), p99Ms: Number(m[2]) };
}

async function withTopic<T>(name: string, use: (topic: string) => Promise<T>): Promise<T> {
  const adapter = await kafkaFactory.connect({ url: URL });
  const topic = `bb-bench-${name}-${Math.random().toString(36).slice(2, 8)}`;
  await adapter.createTopic({ name: topic, partitions: 1 });
  try {
    return await use(topic);
  } finally {
    await adapter.deleteTopic(topic).catch(() => {});
    await adapter.close();
  }
}

async function brokerbench(
  workload: string,
): Promise<{ published: number; consumed: number; p50: number; p99: number }> {
  const [run] = parseWorkloadText(workload, "bench/kafka.ts");
  const dir = await mkdtemp(join(tmpdir(), "bb-bench-kafka-"));
  try {
    const r = await executeRun({
      run: run!,
      runId: `kafka-${Math.random().toString(36).slice(2, 8)}`,
      factory: kafkaFactory,
      settings: ADAPTER_SETTINGS,
      dir,
      history: false,
      check: null,
    });
    if (r.status !== "completed") throw new Error(`brokerbench run ${r.status}: ${r.reason}`);
    const e2e = r.latency.endToEnd.corrected;
    return {
      published: r.throughput.publishMsgsPerSec,
      consumed: r.throughput.consumeMsgsPerSec,
      p50: e2e?.p50Ms ?? Number.NaN,
      p99: e2e?.p99Ms ?? Number.NaN,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const THROUGHPUT = `
name: bench-kafka-throughput
partitions: 1
messageSize: 100
rate: max
batchSize: 100
delivery: pull
deliveryMode: at-least-once
durationS: ${DURATION_S}
warmupS: 1
`;

/**
 * Single messages, as EndToEndLatency sends them: batches of 1 at a rate far below saturation.
 * EndToEndLatency waits for each record before sending the next (no schedule); the runner keeps a
 * schedule and measures from it, so it keeps its default window (4) to stay on schedule when one
 * round trip is slow on a loaded machine.
 */
const LATENCY = `
name: bench-kafka-latency
partitions: 1
messageSize: 100
rate: 200
batchSize: 1
delivery: pull
deliveryMode: at-least-once
durationS: ${DURATION_S}
warmupS: 1
`;

export const kafkaBenchmark: Benchmark = {
  name: "kafka",
  describe: `brokerbench's kafka adapter through the runner vs Kafka's ProducerPerformance and EndToEndLatency (${URL})`,
  async run() {
    const classpath = await kafkaClasspath({ progress: (line) => console.log(`  ${line}`) });
    const tool: number[] = [];
    const ours: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const pp = await withTopic("pp", (topic) =>
        java(classpath, "org.apache.kafka.tools.ProducerPerformance", [
          "--topic",
          topic,
          "--num-records",
          String(RECORDS),
          "--record-size",
          "100",
          "--throughput",
          "-1",
          "--producer-props",
          ...PRODUCER_PROPS,
        ]).then(parseProducerPerformance),
      );
      tool.push(pp.msgsPerSec);
      console.log(
        `  round ${round} ProducerPerformance: ${fmt(pp.msgsPerSec)} msg/s (send→ack p50 ${pp.p50Ms} ms, p99 ${pp.p99Ms} ms)`,
      );
      const bb = await brokerbench(THROUGHPUT);
      ours.push(bb.published);
      console.log(
        `  round ${round} brokerbench kafka:   ${fmt(bb.published)} msg/s published, ${fmt(bb.consumed)} consumed ` +
          `(e2e p50 ${bb.p50.toFixed(1)} ms, p99 ${bb.p99.toFixed(1)} ms), ratio ${(bb.published / pp.msgsPerSec).toFixed(2)}`,
      );
    }
    const ratio = median(ours.map((v, i) => v / tool[i]!));
    console.log(
      `  median: ProducerPerformance ${fmt(median(tool))} msg/s, brokerbench ${fmt(median(ours))} msg/s, ` +
        `ratio ${ratio.toFixed(2)} (target ≥ 0.5)`,
    );
    const e2eTool = await withTopic("e2e", (topic) =>
      java(classpath, "org.apache.kafka.tools.EndToEndLatency", [
        "--bootstrap-server",
        URL,
        "--topic",
        topic,
        "--num-records",
        String(LATENCY_RECORDS),
        "--producer-acks",
        "all",
        "--record-size",
        "100",
      ]).then(parseEndToEndLatency),
    );
    const e2eOurs = await brokerbench(LATENCY);
    console.log(
      `  EndToEndLatency (${LATENCY_RECORDS} records one at a time): p50 ${e2eTool.p50Ms} ms, p99 ${e2eTool.p99Ms} ms; ` +
        `brokerbench at 200 msg/s, batches of 1: p50 ${e2eOurs.p50.toFixed(2)} ms, p99 ${e2eOurs.p99.toFixed(2)} ms`,
    );
    return {
      producerPerformanceMsgsPerSec: Math.round(median(tool)),
      brokerbenchPublishMsgsPerSec: Math.round(median(ours)),
      ratio: Math.round(ratio * 100) / 100,
      endToEndLatencyP50Ms: e2eTool.p50Ms,
      endToEndLatencyP99Ms: e2eTool.p99Ms,
      brokerbenchE2eP50Ms: Math.round(e2eOurs.p50 * 100) / 100,
      brokerbenchE2eP99Ms: Math.round(e2eOurs.p99 * 100) / 100,
    };
  },
};
