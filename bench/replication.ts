/**
 * What replication costs and what the clusters take, on this machine, through the runner as users
 * run it (no faults, no history):
 *
 * - start: `kafka-cluster` and `jetstream-cluster` started as private instances on free ports
 *   (fresh data, jars cached): seconds until every node serves, and the RSS of each node's
 *   process when ready and after the rounds.
 * - cost: on the one running cluster, rounds alternate the safer and the cheaper setting so that
 *   machine noise hits both alike: Kafka RF 3 with acks=1 vs acks=all + min.insync.replicas=2;
 *   JetStream R1 vs R3 streams. Each round is a fixed-rate run (RATE msg/s, batches of 20, 1
 *   partition); the figures are publish (send→acknowledgement, corrected) p50/p99 and published
 *   msg/s, and the ratio safer/cheaper of their medians.
 */
import { readFileSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AdapterFactory } from "../adapters/contract.js";
import { jetstreamFactory } from "../adapters/jetstream/index.js";
import { kafkaFactory } from "../adapters/kafka/index.js";
import { executeRun } from "../harness/runner/index.js";
import { type ServiceInstance, startService } from "../harness/services/index.js";
import { brokerbenchHome, instanceDir } from "../harness/services/state.js";
import { parseWorkloadText } from "../harness/workload/index.js";
import type { Benchmark } from "./bench.js";

const ROUNDS = Number(process.env["BENCH_REPLICATION_ROUNDS"] ?? 3);
const RATE = Number(process.env["BENCH_REPLICATION_RATE"] ?? 1000);
const DURATION_S = Number(process.env["BENCH_REPLICATION_SECONDS"] ?? 10);

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Resident set of a process, MiB (VmRSS). */
function rssMiB(pid: number | null): number {
  if (pid === null) return Number.NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const rssLine = (c: ServiceInstance) => c.nodes.map((n) => `${rssMiB(n.pid).toFixed(0)}`).join(" / ");

interface Round {
  readonly p50: number;
  readonly p99: number;
  readonly published: number;
}

async function round(factory: AdapterFactory, settings: Record<string, string>): Promise<Round> {
  const [run] = parseWorkloadText(
    `name: bench-replication
partitions: 1
messageSize: 100
rate: ${RATE}
batchSize: 20
delivery: pull
deliveryMode: at-least-once
durationS: ${DURATION_S}
warmupS: 2
`,
    "bench/replication.ts",
  );
  const dir = await mkdtemp(join(tmpdir(), "bb-bench-replication-"));
  try {
    const r = await executeRun({
      run: run!,
      runId: `replication-${Math.random().toString(36).slice(2, 8)}`,
      factory,
      settings,
      dir,
      history: false,
      check: null,
    });
    if (r.status !== "completed") throw new Error(`run ${r.status}: ${r.reason}`);
    const publish = r.latency.publish.corrected;
    return {
      p50: publish?.p50Ms ?? Number.NaN,
      p99: publish?.p99Ms ?? Number.NaN,
      published: r.throughput.publishMsgsPerSec,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function compare(
  label: string,
  factory: AdapterFactory,
  cheaper: { name: string; settings: Record<string, string> },
  safer: { name: string; settings: Record<string, string> },
  figures: Record<string, number | string>,
): Promise<void> {
  const runs: Record<string, Round[]> = { [cheaper.name]: [], [safer.name]: [] };
  for (let k = 1; k <= ROUNDS; k++) {
    for (const side of [cheaper, safer]) {
      const r = await round(factory, side.settings);
      runs[side.name]!.push(r);
      console.log(
        `  ${label} round ${k} ${side.name}: publish p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${Math.round(r.published)} msg/s`,
      );
    }
  }
  for (const side of [cheaper, safer]) {
    const rs = runs[side.name]!;
    figures[`${label} ${side.name} publish p50 ms`] = median(rs.map((r) => r.p50));
    figures[`${label} ${side.name} publish p99 ms`] = median(rs.map((r) => r.p99));
    figures[`${label} ${side.name} msg/s`] = median(rs.map((r) => r.published));
  }
  const ratio = (what: string) =>
    Number(
      (
        (figures[`${label} ${safer.name} ${what}`] as number) /
        (figures[`${label} ${cheaper.name} ${what}`] as number)
      ).toFixed(2),
    );
  figures[`${label} ${safer.name}/${cheaper.name} p50`] = ratio("publish p50 ms");
  figures[`${label} ${safer.name}/${cheaper.name} p99`] = ratio("publish p99 ms");
  console.log(
    `  ${label}: ${safer.name}/${cheaper.name} publish p50 ×${figures[`${label} ${safer.name}/${cheaper.name} p50`]}, p99 ×${figures[`${label} ${safer.name}/${cheaper.name} p99`]}`,
  );
}

async function withCluster(
  service: string,
  figures: Record<string, number | string>,
  use: (cluster: ServiceInstance) => Promise<void>,
): Promise<void> {
  const name = `${service}-bench-${process.pid}`;
  const started = performance.now();
  const cluster = await startService(service, { instance: name, port: 0 });
  try {
    const seconds = (performance.now() - started) / 1000;
    figures[`${service} start s`] = Number(seconds.toFixed(1));
    figures[`${service} RSS MiB when ready`] = rssLine(cluster);
    console.log(`  ${service}: ready in ${seconds.toFixed(1)} s, RSS per node ${rssLine(cluster)} MiB`);
    await use(cluster);
    figures[`${service} RSS MiB after`] = rssLine(cluster);
    console.log(`  ${service}: RSS per node after the rounds ${rssLine(cluster)} MiB`);
  } finally {
    await cluster.stop({ wipe: true });
    rmSync(instanceDir(brokerbenchHome(), name), { recursive: true, force: true });
  }
}

export const replicationBenchmark: Benchmark = {
  name: "replication",
  describe: `3-node kafka-cluster and jetstream-cluster: start time, RSS, and the publish latency of acks=all+minISR 2 vs acks=1 (RF 3) and R3 vs R1, ${RATE} msg/s, ${ROUNDS} alternating rounds`,
  async run() {
    const figures: Record<string, number | string> = {};
    await withCluster("kafka-cluster", figures, (c) =>
      compare(
        "kafka",
        kafkaFactory,
        { name: "acks1", settings: { ...c.settings, acks: "1" } },
        { name: "all-isr2", settings: { ...c.settings, acks: "all", topicConfigs: "min.insync.replicas=2" } },
        figures,
      ),
    );
    await withCluster("jetstream-cluster", figures, (c) =>
      compare(
        "jetstream",
        jetstreamFactory,
        { name: "R1", settings: { ...c.settings, replicas: "1" } },
        { name: "R3", settings: { ...c.settings, replicas: "3" } },
        figures,
      ),
    );
    return figures;
  },
};
