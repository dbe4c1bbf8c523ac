/**
 * One run: a workload point against one adapter, from plan to results.json, as named phases:
 *
 *   plan      what the run is; refuse what the adapter cannot do (not-supported)      plan.ts
 *   setup     infrastructure, connect, topics, consumers, producers, assignments      setup.ts
 *   produce   producers for the duration (or message count), faults on their clock   produce.ts
 *   drain     every group reads until caught up                                       drain.ts
 *   teardown  close the clients, delete the topics, flush the history, stop servers   teardown.ts
 *   verdict   the checkers judge the history                                          verdict.ts
 *
 * then results.json (result-file.ts), with a status that says what the run can be trusted for:
 * completed, inconclusive (it measured nothing a figure or verdict can rest on: evidence.ts),
 * interrupted (RunOptions.signal), not-supported or error. Generic over the adapter contract:
 * nothing here knows which broker it drives.
 */
import { mkdir } from "node:fs/promises";
import { basename } from "node:path";
import type { ProcessPauses, RunResult, RunStatus } from "../../core/results.js";
import { PauseMonitor } from "../metrics/process-pauses.js";
import { drainPhase } from "./drain.js";
import { inconclusiveReason } from "./evidence.js";
import { progressOf } from "./monitor.js";
import type { RunOptions } from "./options.js";
import { executePipelineRun, pipelineRefusal } from "./pipeline/run-pipeline.js";
import { planRun, sizeRefusal } from "./plan.js";
import { type ProduceOutcome, produce } from "./produce.js";
import { writeResult } from "./result-file.js";
import { errorMessage } from "./run-log.js";
import { connect, openSession, prepare, watchInterrupt } from "./setup.js";
import { teardown } from "./teardown.js";
import { judge } from "./verdict.js";

export async function executeRun(options: RunOptions): Promise<RunResult> {
  const startedAt = performance.now();
  const elapsedS = () => (performance.now() - startedAt) / 1000;
  const { plan, refusal, warnings: planWarnings } = planRun(options);
  await mkdir(options.dir, { recursive: true });
  if (plan.workload.kind === "pipeline") {
    // Its own phases and needs (pipeline/run-pipeline.ts): only a settings error carries over.
    const why = refusal?.status === "error" ? refusal.reason : pipelineRefusal(plan, options.factory.name);
    if (why !== null)
      return writeResult(plan, options.dir, {
        status: refusal?.status === "error" ? "error" : "not-supported",
        reason: why,
        durationS: 0,
      });
    return executePipelineRun(plan, options);
  }
  if (refusal !== null)
    return writeResult(plan, options.dir, { status: refusal.status, reason: refusal.reason, durationS: 0 });
  for (const line of planWarnings) options.onWarning?.(line);
  if (options.signal?.aborted)
    return writeResult(plan, options.dir, {
      status: "interrupted",
      reason: "interrupted (Ctrl-C) before it started",
      durationS: 0,
    });

  options.onProgress?.(progressOf("connecting", 0, plan.workload, null));
  const connected = await connect(plan, options);
  if ("error" in connected)
    return writeResult(plan, options.dir, {
      status: "error",
      reason: connected.error,
      warnings: planWarnings,
      durationS: elapsedS(),
    });
  // A limit the broker states once connected (NATS max_payload): refused before anything is created.
  const tooLarge = sizeRefusal(plan.workload, connected.adapter.capabilities, options.factory.name);
  if (tooLarge !== null) {
    await connected.adapter.close().catch(() => {});
    await connected.infrastructure.stop();
    return writeResult(plan, options.dir, {
      status: "not-supported",
      reason: tooLarge,
      warnings: planWarnings,
      durationS: elapsedS(),
    });
  }
  const session = await openSession(plan, options, connected.infrastructure, connected.adapter);
  const { log } = session;
  for (const line of planWarnings) log.warn(line);
  const unwatch = watchInterrupt(session);

  let produced: ProduceOutcome = { producingS: 0, backlog: null };
  // The harness's own pauses over the window the figures cover: from the end of warmup (producing
  // starts within a few ms of this) to the end of the drain.
  const pauses = new PauseMonitor();
  let harnessPauses: ProcessPauses | null = null;
  try {
    await prepare(session);
    pauses.beginAfter(plan.workload.warmupS * 1000);
    if (session.interrupted.at === null) produced = await produce(session);
    await drainPhase(session);
  } catch (err) {
    log.fail(errorMessage(err));
    session.ctx.abort.aborted = true;
  } finally {
    harnessPauses = pauses.end();
    unwatch();
    await teardown(session);
  }

  const summary = session.metrics.summary();
  const durationS = (performance.now() - session.openedAt) / 1000;
  let status: RunStatus = "completed";
  let reason: string | null = null;
  let verdict = null;
  if (log.error !== null) {
    status = "error";
    reason = log.error;
  } else if (session.interrupted.at !== null) {
    status = "interrupted";
    reason =
      `interrupted (Ctrl-C) after ${produced.producingS.toFixed(1)} s of producing: what was measured is kept, ` +
      `without a verdict${session.recorder ? ` (brokerbench check ${basename(session.historyPath)} judges what was recorded)` : ""}`;
  } else {
    verdict = await judge(session, produced.producingS);
    const missing = inconclusiveReason(summary, plan.workload, log.firstSendFailure, verdict);
    if (log.error !== null) {
      status = "error";
      reason = log.error;
    } else if (missing !== null) {
      status = "inconclusive";
      reason = missing;
      verdict = null;
    }
  }
  return writeResult(plan, options.dir, {
    status,
    reason,
    versions: session.versions,
    summary,
    faults: session.faults?.records() ?? [],
    skippedFaults: session.faults?.skipped() ?? [],
    warnings: log.warnings,
    faultLog: log.faultLog,
    brokerPrefix: session.prefix,
    verdict,
    history: session.recorder ? basename(session.historyPath) : null,
    durationS,
    harnessPauses,
    ...(produced.backlog !== null ? { backlogMode: produced.backlog } : {}),
  });
}
