/**
 * Checkers at scale: writes a valid history of N messages (batches of 100 over 16 partitions,
 * consumed by 2 groups), then checks it with every family, each measurement in a fresh process
 * (wall time, parsing included, and peak RSS), beside the time of a plain JSON.parse of each
 * line of the same file, and the check of the same history compactly encoded (what a run records by
 * default). Sizes: BENCH_CHECKERS_MESSAGES (default "1000000,10000000").
 * Targets at 10 M: ≤ 20 s, ≤ 2 GiB; cost linear: 10× the history ≤ 11× the time.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonLinesFileToCompact } from "../core/history/from-json-lines.js";
import type { Benchmark } from "./bench.js";
import { writeBenchHistory } from "./checkers-history.js";

const CHILD = fileURLToPath(new URL("./checkers-child.js", import.meta.url));

interface ChildResult {
  readonly seconds: number;
  /** CPU time of all its threads: on a shared machine, what the work costs regardless of load. */
  readonly cpuS: number;
  readonly maxRssMiB: number;
  readonly valid?: boolean;
  readonly anomalies?: Record<string, number>;
}

function measure(mode: "check" | "json-parse", path: string): ChildResult {
  const out = execFileSync(process.execPath, [CHILD, mode, path], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").pop()!) as ChildResult;
}

export const checkersBenchmark: Benchmark = {
  name: "checkers",
  describe: "history checkers: generate, then check N messages (every family, parsing included)",
  async run() {
    const sizes = (process.env["BENCH_CHECKERS_MESSAGES"] ?? "1000000,10000000").split(",").map(Number);
    const dir = mkdtempSync(join(tmpdir(), "brokerbench-checkers-"));
    const figures: Record<string, number | string> = {};
    const checkS: number[] = [];
    const checkCpuS: number[] = [];
    try {
      for (const messages of sizes) {
        const path = join(dir, `history-${messages}.jsonl`);
        const t0 = performance.now();
        const shape = { messages, partitions: 16, batch: 100, groups: 2, consumersPerGroup: 2, keys: 1024 };
        const stats = writeBenchHistory(path, shape);
        const genS = (performance.now() - t0) / 1000;
        const label = messages >= 1e6 ? `${messages / 1e6}M` : `${messages / 1e3}k`;
        console.log(
          `${label}: wrote ${stats.lines} lines, ${(stats.bytes / 2 ** 20).toFixed(0)} MiB, ` +
            `${stats.messageEntries} message entries (send invoke + send ok + polls) in ${genS.toFixed(1)} s`,
        );
        const compactPath = join(dir, `history-${messages}.bbh`);
        const c0 = performance.now();
        const converted = jsonLinesFileToCompact(path, compactPath);
        const convertS = (performance.now() - c0) / 1000;
        console.log(
          `${label}: compact encoding ${(converted.bytes / 2 ** 20).toFixed(1)} MiB ` +
            `(${(converted.bytes / messages).toFixed(2)} bytes a message, ${(stats.bytes / converted.bytes).toFixed(0)}× ` +
            `smaller; ${converted.textLines} of ${converted.lines} lines kept as text), converted in ${convertS.toFixed(1)} s`,
        );
        const parse = measure("json-parse", path);
        const check = measure("check", path);
        const compact = measure("check", compactPath);
        checkS.push(check.seconds);
        checkCpuS.push(check.cpuS);
        console.log(
          `${label}: check (all families, byte scanner) ${check.seconds.toFixed(2)} s wall, ` +
            `${check.cpuS.toFixed(2)} s CPU, peak RSS ` +
            `${check.maxRssMiB.toFixed(0)} MiB, valid=${check.valid} ${JSON.stringify(check.anomalies)}; ` +
            `plain JSON.parse of every line ${parse.seconds.toFixed(2)} s wall, ${parse.cpuS.toFixed(2)} s CPU ` +
            `(${(parse.seconds / check.seconds).toFixed(2)}× the check's wall time)`,
        );
        console.log(
          `${label}: check of the compact history ${compact.seconds.toFixed(2)} s wall, ${compact.cpuS.toFixed(2)} s CPU, ` +
            `peak RSS ${compact.maxRssMiB.toFixed(0)} MiB, valid=${compact.valid} ${JSON.stringify(compact.anomalies)} ` +
            `(${(compact.seconds / check.seconds).toFixed(2)}× the JSON lines check's wall time, ` +
            `${(compact.cpuS / check.cpuS).toFixed(2)}× its CPU)`,
        );
        if (
          compact.valid !== check.valid ||
          JSON.stringify(compact.anomalies) !== JSON.stringify(check.anomalies)
        )
          throw new Error("the compact and JSON lines checks disagree");
        figures[`compactCheck${label}S`] = Number(compact.seconds.toFixed(2));
        figures[`compactCheck${label}CpuS`] = Number(compact.cpuS.toFixed(2));
        figures[`compactCheck${label}PeakRssMiB`] = Math.round(compact.maxRssMiB);
        figures[`compactHistory${label}MiB`] = Number((converted.bytes / 2 ** 20).toFixed(1));
        figures[`compactBytesPerMsg${label}`] = Number((converted.bytes / messages).toFixed(2));
        rmSync(compactPath);
        figures[`check${label}S`] = Number(check.seconds.toFixed(2));
        figures[`check${label}CpuS`] = Number(check.cpuS.toFixed(2));
        figures[`check${label}PeakRssMiB`] = Math.round(check.maxRssMiB);
        figures[`jsonParse${label}S`] = Number(parse.seconds.toFixed(2));
        figures[`jsonParse${label}CpuS`] = Number(parse.cpuS.toFixed(2));
        figures[`history${label}MiB`] = Math.round(stats.bytes / 2 ** 20);
        rmSync(path);
      }
      if (checkS.length >= 2) {
        const ratio = checkS[checkS.length - 1]! / checkS[0]!;
        const cpuRatio = checkCpuS[checkCpuS.length - 1]! / checkCpuS[0]!;
        figures["cpuRatio"] = Number(cpuRatio.toFixed(2));
        const growth = sizes[sizes.length - 1]! / sizes[0]!;
        console.log(
          `time ratio ${ratio.toFixed(2)}× for ${growth}× the history (target ≤ ${(growth * 1.1).toFixed(0)}×)`,
        );
        figures["timeRatio"] = Number(ratio.toFixed(2));
      }
      figures["cores"] = availableParallelism();
      figures["loadAvg1m"] = Number(loadavg()[0]!.toFixed(2));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
