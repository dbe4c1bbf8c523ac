/**
 * What a private broker costs a broker-crash run here: for each service this machine can start,
 * the time from `startService` until it answers a real request (its probe), and from `restart()`
 * after a SIGKILL (`kill()`) until it answers again, on the same ports and data. Each service in a
 * temporary BROKERBENCH_HOME (the jar and distribution cache shared with ~/.brokerbench's, so Kafka
 * and Artemis are not fetched again), default profile, stopped and removed after.
 *
 * Env: BENCH_SERVICE_RESTARTS (3), BENCH_SERVICES (comma-separated; default every service that
 * runs from a binary of this machine, then kafka and artemis where they can start).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SERVICES, serviceDefinition, startService } from "../harness/services/index.js";
import { brokerbenchHome, cacheDir } from "../harness/services/state.js";
import type { Benchmark } from "./bench.js";

const RESTARTS = Number(process.env["BENCH_SERVICE_RESTARTS"] ?? 3);
const DEFAULT_ORDER = ["redis", "nats", "mosquitto", "rabbitmq", "reference", "pubsub", "artemis", "kafka"];

const median = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

export const serviceStartBenchmark: Benchmark = {
  name: "service-start",
  describe: "private brokers: ms until serving after start, and after SIGKILL + restart (median)",
  async run() {
    const shared = cacheDir(brokerbenchHome(process.env));
    mkdirSync(shared, { recursive: true });
    const home = mkdtempSync(join(tmpdir(), "bb-bench-services-"));
    symlinkSync(shared, join(home, "cache"));
    const env = { ...process.env, BROKERBENCH_HOME: home };
    const wanted = process.env["BENCH_SERVICES"]?.split(",") ?? DEFAULT_ORDER;
    const figures: Record<string, number | string> = {};
    try {
      for (const name of wanted.filter((n) => SERVICES.some((s) => s.name === n))) {
        const lacking = serviceDefinition(name).missing({ env, cacheDir: shared });
        if (lacking !== null) {
          console.log(`${name}: cannot start here (${lacking})`);
          figures[`${name}StartMs`] = "n/a";
          continue;
        }
        const t0 = performance.now();
        const instance = await startService(name, { instance: `${name}-bench`, port: 0, env });
        const startMs = performance.now() - t0;
        try {
          const restarts: number[] = [];
          for (let i = 0; i < RESTARTS; i++) {
            await instance.kill();
            const t = performance.now();
            await instance.restart();
            restarts.push(performance.now() - t);
          }
          console.log(
            `${name}: start ${Math.round(startMs)} ms, SIGKILL + restart ${restarts.map(Math.round).join(" / ")} ms (median ${Math.round(median(restarts))})`,
          );
          figures[`${name}StartMs`] = Math.round(startMs);
          figures[`${name}RestartMsMedian`] = Math.round(median(restarts));
        } finally {
          await instance.stop({ wipe: true });
        }
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
    return figures;
  },
};
