/**
 * `npm run bench [-- name ...]`: runs every benchmark (or the named ones) in one process, one after
 * another, and prints each figure. Figures are comparable as ratios within one run only: the
 * machine is shared. Each benchmark module registers itself below with one line.
 */
import { artemisStartBenchmark } from "./artemis-start.js";
import type { Benchmark } from "./bench.js";
import { checkersBenchmark } from "./checkers.js";
import { cliStartBenchmark } from "./cli-start.js";
import { kafkaBenchmark } from "./kafka.js";
import { kafkaTransactionsBenchmark } from "./kafka-transactions.js";
import { nemesisBenchmark } from "./nemesis.js";
import { pubsubPushBenchmark } from "./pubsub-push.js";
import { referenceEmbeddedBenchmark } from "./reference-embedded.js";
import { referenceTcpBenchmark } from "./reference-tcp.js";
import { referenceVsNatsBenchmark } from "./reference-vs-nats.js";
import { replicationBenchmark } from "./replication.js";
import { reportsBenchmark } from "./reports.js";
import { historyBenchmark, runnerBenchmark } from "./runner.js";
import { serviceStartBenchmark } from "./service-start.js";
import { slowConsumerBenchmark } from "./slow-consumer.js";
import { workersBenchmark } from "./workers.js";

const BENCHMARKS: readonly Benchmark[] = [
  runnerBenchmark,
  historyBenchmark,
  reportsBenchmark,
  slowConsumerBenchmark,
  referenceEmbeddedBenchmark,
  referenceTcpBenchmark,
  referenceVsNatsBenchmark,
  checkersBenchmark,
  kafkaBenchmark,
  kafkaTransactionsBenchmark,
  nemesisBenchmark,
  artemisStartBenchmark,
  pubsubPushBenchmark,
  cliStartBenchmark,
  replicationBenchmark,
  serviceStartBenchmark,
  workersBenchmark,
];

async function main(names: readonly string[]): Promise<number> {
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark ${unknown.join(", ")}; known: ${BENCHMARKS.map((b) => b.name).join(", ")}`,
    );
    return 2;
  }
  const chosen = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
  const summary: Record<string, Readonly<Record<string, number | string>>> = {};
  for (const b of chosen) {
    console.log(`\n== ${b.name}: ${b.describe}`);
    summary[b.name] = await b.run();
  }
  console.log("\n== summary");
  console.log(JSON.stringify(summary, null, 2));
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
