/**
 * How long the CLI takes to answer `brokerbench --help` and `brokerbench list` (wall time of the
 * whole process, median of 5 each), beside a bare `node -e 0` on the same machine: commands load
 * their modules (adapters' client libraries, the runner, the report renderer) only when named.
 * Target (issue 12): ≤ 0.3 s each.
 *
 * Env: BENCH_CLI_RUNS (5).
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import type { Benchmark } from "./bench.js";

const RUNS = Number(process.env["BENCH_CLI_RUNS"] ?? 5);
const CLI = fileURLToPath(new URL("../../bin/brokerbench.js", import.meta.url));

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Seconds one process takes from spawn to exit; throws if it fails. */
function timed(args: readonly string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const s = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr.toString()}`);
  return s;
}

export const cliStartBenchmark: Benchmark = {
  name: "cli-start",
  describe: "wall time of `brokerbench --help` and `brokerbench list`, median of 5, beside `node -e 0`",
  async run() {
    const cases = [
      ["node -e 0", ["-e", "0"]],
      ["brokerbench --help", [CLI, "--help"]],
      ["brokerbench list", [CLI, "list"]],
    ] as const;
    const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    // Interleaved, so that load on the machine hits every case alike.
    for (let i = 0; i < RUNS; i++) for (const [name, args] of cases) times.get(name)!.push(timed(args));
    const out: Record<string, number> = {};
    for (const [name] of cases) {
      const m = median(times.get(name)!);
      out[name] = Number(m.toFixed(3));
      const target = name === "node -e 0" ? "" : " (target ≤ 0.300 s)";
      console.log(`  ${name.padEnd(20)} median ${m.toFixed(3)} s of ${RUNS}${target}`);
    }
    console.log(
      `  load average: ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")}`,
    );
    return out;
  },
};
