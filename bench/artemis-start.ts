/**
 * What starting Artemis costs here: time until it answers a management request over AMQP, and the
 * broker JVM's resident memory then and after a short load. A private instance on a free port
 * (its distribution from the services cache, fetched first if missing, which the first figure then
 * includes): one start that also creates the instance (`artemis create`), then restarts of the same
 * instance (a JVM start on an existing journal), then 20,000 durable messages through the adapter.
 *
 * Env: BENCH_ARTEMIS_RESTARTS (3).
 */
import { readFileSync } from "node:fs";
import { artemisFactory } from "../adapters/artemis/index.js";
import { encodePayload } from "../core/payload.js";
import { startService } from "../harness/services/index.js";
import type { Benchmark } from "./bench.js";

const RESTARTS = Number(process.env["BENCH_ARTEMIS_RESTARTS"] ?? 3);

/** Resident set of a process, from /proc (Linux). */
function rssMiB(pid: number | null): number {
  if (pid === null) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

const median = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

export const artemisStartBenchmark: Benchmark = {
  name: "artemis-start",
  describe: "Artemis service: time to ready (create + start, then restarts) and broker RSS",
  async run() {
    const t0 = performance.now();
    const instance = await startService("artemis", { instance: `artemis-bench-${process.pid}`, port: 0 });
    const firstMs = performance.now() - t0;
    const pid = () => instance.nodes[0]?.pid ?? null;
    const rssAtFirst = rssMiB(pid());
    console.log(`create + start: ready in ${Math.round(firstMs)} ms, RSS ${rssAtFirst.toFixed(0)} MiB`);
    try {
      const restarts: number[] = [];
      const rssAtReady: number[] = [];
      for (let i = 0; i < RESTARTS; i++) {
        await instance.stop();
        const t = performance.now();
        await instance.restart();
        restarts.push(performance.now() - t);
        rssAtReady.push(rssMiB(pid()));
        console.log(
          `restart ${i + 1}: ready in ${Math.round(restarts[i]!)} ms, RSS ${rssAtReady[i]!.toFixed(0)} MiB`,
        );
      }
      // Some load, so the figure after it includes what a run makes the broker allocate.
      const adapter = await artemisFactory.connect(instance.settings);
      const topic = `bb-bench-start-${process.pid}`;
      try {
        await adapter.createTopic({ name: topic, partitions: 1 });
        const consumer = await adapter.createConsumer({
          process: 2,
          group: "g1",
          topics: [topic],
          delivery: "pull",
          mode: "at-least-once",
          start: "latest",
          prefetch: 1000,
        });
        const producer = await adapter.createProducer({
          process: 1,
          mode: "at-least-once",
          idempotent: false,
        });
        const payload = encodePayload(100, 1, 0, Date.now());
        const inFlight: Promise<unknown>[] = [];
        for (let i = 0; i < 200; i++) {
          inFlight.push(producer.send(Array.from({ length: 100 }, () => ({ topic, key: null, payload }))));
          if (inFlight.length >= 8) await inFlight.shift();
        }
        await Promise.all(inFlight);
        let got = 0;
        while (got < 20_000 && consumer.delivery === "pull") {
          const batch = await consumer.poll(1000, 1000);
          if (batch.length === 0) break;
          await consumer.commit(batch);
          got += batch.length;
        }
        await producer.close();
        await consumer.close();
      } finally {
        await adapter.deleteTopic(topic).catch(() => {});
        await adapter.close();
      }
      const rssAfterLoad = rssMiB(pid());
      console.log(`after 20,000 durable messages through: RSS ${rssAfterLoad.toFixed(0)} MiB`);
      return {
        createAndStartMs: Math.round(firstMs),
        restartMsMedian: Math.round(median(restarts)),
        rssAtReadyMiBMedian: Math.round(median(rssAtReady)),
        rssAfterLoadMiB: Math.round(rssAfterLoad),
      };
    } finally {
      await instance.stop({ wipe: true });
    }
  },
};
