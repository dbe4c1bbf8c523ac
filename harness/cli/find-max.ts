/**
 * `rate: find-max` for `brokerbench run`: a planned run whose rate is find-max becomes a search
 * (harness/runner/find-max.ts) of trial runs, each a whole run at one rate, kept as a point of the
 * run's results (`<runId>-rate=<n>`, matrix `rate: n`), so the report draws the latency-vs-rate
 * curve from them. A rate holds when the report's own test of keeping up says the run sustained it
 * (published and consumed as offered, backlog bounded), its verdict is not invalid, and its
 * end-to-end p99 (corrected) is within the bound.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  FIND_MAX_FILE,
  type FindMaxCriteria,
  type FindMaxRecord,
  type FindMaxResult,
  type TrialOutcome,
  trialRunId,
} from "../../core/find-max.js";
import type { RunResult } from "../../core/results.js";
import { fmtCount } from "../../reports/figures.js";
import { keeping } from "../../reports/index.js";
import { findMaxRate } from "../runner/find-max.js";
import { FIND_MAX_DEFAULTS, type Workload, type WorkloadRun } from "../workload/index.js";

export function criteriaOf(w: Workload): FindMaxCriteria {
  return {
    ...FIND_MAX_DEFAULTS,
    ...Object.fromEntries(Object.entries(w.findMax ?? {}).filter(([, v]) => v !== undefined)),
  };
}

/** Did this trial hold its rate? */
export function judgeTrial(rate: number, r: RunResult, c: FindMaxCriteria): TrialOutcome {
  const reasons: string[] = [];
  if (r.status !== "completed") reasons.push(`${r.status}${r.reason ? `: ${r.reason}` : ""}`);
  else {
    const k = keeping(r);
    if (!k.sustained && k.shortfall !== null) reasons.push(k.shortfall);
    if (r.verdict !== null && !r.verdict.valid) reasons.push("verdict INVALID");
    const p99 = r.latency.endToEnd.corrected?.p99Ms ?? null;
    if (p99 === null) reasons.push("no end-to-end latency");
    else if (p99 > c.p99Ms) reasons.push(`e2e p99 ${fmtMs(p99)} ms above ${fmtMs(c.p99Ms)} ms`);
  }
  return { rate, sustained: reasons.length === 0, reason: reasons.length === 0 ? null : reasons.join(", ") };
}

/** The run at one rate: the planned run with `rate` in its workload and matrix, and its own id. */
export function trialRun(run: WorkloadRun, runId: string, rate: number): { run: WorkloadRun; runId: string } {
  return {
    run: {
      ...run,
      id: trialRunId(run.id, rate),
      workload: { ...run.workload, rate },
      matrix: { ...run.matrix, rate },
    },
    runId: trialRunId(runId, rate),
  };
}

/**
 * Searches one planned run's highest sustainable rate; `runTrial` runs and records one trial and
 * returns its result. `stop()` ends the search early (Ctrl-C).
 */
export async function searchMaxRate(
  workload: Workload,
  runTrial: (rate: number) => Promise<RunResult>,
  stop: () => boolean,
): Promise<{ criteria: FindMaxCriteria; result: FindMaxResult }> {
  const criteria = criteriaOf(workload);
  const result = await findMaxRate(
    { ...criteria, minRate: Math.min(10, criteria.startRate) },
    async (rate) => judgeTrial(rate, await runTrial(rate), criteria),
    stop,
  );
  return { criteria, result };
}

/** One line: what was found, and why the next rate up did not hold. */
export function describeSearch(s: FindMaxRecord): string {
  const { result: r, criteria: c } = s;
  const head = `find-max ${s.runId} on ${s.adapter}`;
  const trials = `${r.trials.length} trial${r.trials.length === 1 ? "" : "s"}`;
  if (r.maxRate === null)
    return `${head}: no rate held (lowest tried ${fmtCount(r.trials.at(-1)?.rate ?? 0)} msg/s: ${r.firstFailing?.reason}); ${trials}`;
  const above =
    r.firstFailing === null
      ? r.capped
        ? `; every rate up to maxRate ${fmtCount(c.maxRate)} held: the broker may go higher`
        : ""
      : `; ${fmtCount(r.firstFailing.rate)} msg/s did not (${r.firstFailing.reason})`;
  return `${head}: highest sustainable rate ${fmtCount(r.maxRate)} msg/s (sustained, e2e p99 ≤ ${fmtMs(c.p99Ms)} ms)${above}; ${trials}`;
}

/** Writes every search of the command into the output directory's FIND_MAX_FILE. */
export async function writeSearches(outDir: string, searches: readonly FindMaxRecord[]): Promise<string> {
  const path = join(outDir, FIND_MAX_FILE);
  await writeFile(path, `${JSON.stringify(searches, null, 2)}\n`);
  return path;
}

const fmtMs = (n: number) => (n >= 100 ? n.toFixed(0) : n.toPrecision(3));
