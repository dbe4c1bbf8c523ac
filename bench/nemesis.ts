/**
 * The nemesis suite as a benchmark: `workloads/nemesis.yaml` on the reference broker as a child
 * server, SIGKILLed 30 times 1.2 s apart and then 100 times one a second, acknowledgements after
 * fsync, 2 groups of 2 pull consumers on 4 partitions at-least-once. Prints per schedule: kills
 * done (and delayed or skipped), messages acknowledged and lost, the verdict, and per kill p50 and
 * max of the restart (SIGKILL lifted until the new broker process serves) and of the recovery after
 * it (the broker serving until every partition of every group is read again).
 * Target: ≥ 100 kills in one run, 0 acknowledged lost, valid; recovery within 1 s.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { referenceAdapter } from "../adapters/reference/index.js";
import { checkHistoryFile } from "../checkers/index.js";
import { executeRun } from "../harness/runner/index.js";
import { loadWorkloadFile, resolveWorkloadArg } from "../harness/workload/index.js";
import type { Benchmark } from "./bench.js";

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export const nemesisBenchmark: Benchmark = {
  name: "nemesis",
  describe:
    "reference broker SIGKILLed 30× (1.2 s apart) and 100× (1/s), acks after fsync: lost, verdict, recovery",
  async run() {
    const figures: Record<string, number | string> = {};
    const runs = await loadWorkloadFile(resolveWorkloadArg("nemesis"));
    const dir = await mkdtemp(join(tmpdir(), "bb-bench-nemesis-"));
    try {
      for (const run of runs) {
        const r = await executeRun({
          run,
          runId: run.id,
          factory: referenceAdapter,
          settings: run.workload.settings,
          dir: join(dir, run.id),
          history: true,
          check: (path, expect) => checkHistoryFile(path, { expect }),
        });
        const kills = r.faults.filter((f) => f.kind === "broker-crash");
        const recovery = kills
          .map((f) => f.recoveryS)
          .filter((s): s is number => typeof s === "number")
          .sort((a, b) => a - b);
        const restart = kills
          .map((f) => f.healS)
          .filter((s): s is number => typeof s === "number")
          .sort((a, b) => a - b);
        const notRecovered = kills.filter((f) => f.recoveryS === null).length;
        const delayed = kills.filter((f) => f.delayedS !== undefined).length;
        const skipped = r.skippedFaults?.length ?? 0;
        const lost = r.verdict?.counts.lost ?? Number.NaN;
        const verdict =
          r.status !== "completed" ? `${r.status}: ${r.reason}` : r.verdict?.valid ? "valid" : "INVALID";
        const label = String(run.matrix["schedule"] ?? run.id);
        console.log(
          `  ${label}: ${kills.length} of ${run.workload.faults.length} kills done (${delayed} delayed, ${skipped} skipped), ` +
            `${r.counts.ackedMsgs.toLocaleString("en-US")} acknowledged, ${lost} lost, ${verdict}; ` +
            `restart p50 ${quantile(restart, 0.5).toFixed(3)} s, max ${(restart.at(-1) ?? Number.NaN).toFixed(3)} s; ` +
            `recovery after the restart p50 ${quantile(recovery, 0.5).toFixed(3)} s, max ${(recovery.at(-1) ?? Number.NaN).toFixed(3)} s` +
            `${notRecovered > 0 ? ` (${notRecovered} not recovered within 10 s)` : ""} (target: ≥ 100 kills, 0 lost, valid, recovery ≤ 1 s)`,
        );
        figures[`${label}.kills`] = kills.length;
        figures[`${label}.delayed`] = delayed;
        figures[`${label}.skipped`] = skipped;
        figures[`${label}.ackedMsgs`] = r.counts.ackedMsgs;
        figures[`${label}.lost`] = lost;
        figures[`${label}.verdict`] = verdict;
        figures[`${label}.restartP50S`] = quantile(restart, 0.5);
        figures[`${label}.restartMaxS`] = restart.at(-1) ?? Number.NaN;
        figures[`${label}.recoveryP50S`] = quantile(recovery, 0.5);
        figures[`${label}.recoveryMaxS`] = recovery.at(-1) ?? Number.NaN;
        figures[`${label}.notRecovered`] = notRecovered;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
