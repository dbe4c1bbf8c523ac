/** results.json: the run's header from the plan, its outcome, figures, faults and verdict. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Verdict } from "../../checkers/verdict.js";
import type {
  BacklogReport,
  PipelineResult,
  ProcessPauses,
  RunResult,
  RunStatus,
  SkippedFault,
  WorkerRecord,
} from "../../core/results.js";
import type { FaultRecord } from "../faults/index.js";
import { type MetricsSummary, RunMetrics } from "../metrics/index.js";
import { environment } from "./environment.js";
import { RESULTS_FILE } from "./options.js";
import type { RunPlan } from "./plan.js";

export interface RunOutcome {
  readonly status: RunStatus;
  readonly reason: string | null;
  readonly versions?: Readonly<Record<string, string>>;
  readonly summary?: MetricsSummary;
  readonly faults?: readonly FaultRecord[];
  readonly skippedFaults?: readonly SkippedFault[];
  readonly warnings?: readonly string[];
  readonly faultLog?: readonly string[];
  readonly brokerPrefix?: string;
  readonly verdict?: Verdict | null;
  readonly history?: string | null;
  readonly durationS?: number;
  readonly backlogMode?: BacklogReport;
  readonly harnessPauses?: ProcessPauses | null;
  readonly pipeline?: PipelineResult;
  readonly workers?: readonly WorkerRecord[];
}

/** Composes results.json and writes it into `dir`. */
export async function writeResult(plan: RunPlan, dir: string, outcome: RunOutcome): Promise<RunResult> {
  const w = plan.workload;
  const s =
    outcome.summary ??
    new RunMetrics({
      startMs: 0,
      warmupS: w.warmupS,
      messageBytes: w.messageSize,
      groups: plan.groups,
    }).summary();
  const result: RunResult = {
    ...plan.header,
    environment: environment(outcome.versions ?? {}),
    status: outcome.status,
    reason: outcome.reason,
    durationS: outcome.durationS ?? 0,
    counts: {
      sentMsgs: s.sentMsgs,
      ackedMsgs: s.ackedMsgs,
      failedMsgs: s.failedMsgs,
      unknownMsgs: s.unknownMsgs,
      warmupDelayDroppedMs: s.warmupDelayDroppedMs,
      deliveredMsgs: s.deliveredMsgs,
    },
    throughput: s.throughput,
    latency: s.latency,
    backlog: s.backlog,
    ...(outcome.harnessPauses != null ? { harnessPauses: outcome.harnessPauses } : {}),
    ...(outcome.backlogMode !== undefined ? { backlogMode: outcome.backlogMode } : {}),
    timeseries: s.timeseries,
    faults: outcome.faults ?? [],
    ...(outcome.skippedFaults !== undefined && outcome.skippedFaults.length > 0
      ? { skippedFaults: outcome.skippedFaults }
      : {}),
    warnings: outcome.warnings ?? [],
    ...(outcome.faultLog !== undefined && outcome.faultLog.length > 0 ? { faultLog: outcome.faultLog } : {}),
    ...(outcome.brokerPrefix !== undefined ? { brokerPrefix: outcome.brokerPrefix } : {}),
    verdict: outcome.verdict ?? null,
    ...(outcome.pipeline !== undefined ? { pipeline: outcome.pipeline } : {}),
    history: outcome.history ?? null,
    ...(outcome.workers !== undefined ? { workers: outcome.workers } : {}),
  };
  await writeFile(join(dir, RESULTS_FILE), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
