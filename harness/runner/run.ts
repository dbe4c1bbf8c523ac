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
 * then results.json (result-file.ts). Generic over the adapter contract: nothing here knows which
 * broker it drives.
 */
import { mkdir } from "node:fs/promises";
import type { RunResult } from "../../core/results.js";
import { drainPhase } from "./drain.js";
import { progressOf } from "./monitor.js";
import { HISTORY_FILE, type RunOptions } from "./options.js";
import { planRun } from "./plan.js";
import { type ProduceOutcome, produce } from "./produce.js";
import { writeResult } from "./result-file.js";
import { errorMessage } from "./run-log.js";
import { connect, openSession, prepare } from "./setup.js";
import { teardown } from "./teardown.js";
import { judge } from "./verdict.js";

export async function executeRun(options: RunOptions): Promise<RunResult> {
  const { plan, refusal } = planRun(options);
  await mkdir(options.dir, { recursive: true });
  if (refusal !== null)
    return writeResult(plan, options.dir, { status: refusal.status, reason: refusal.reason });

  options.onProgress?.(progressOf("connecting", 0, plan.workload, null));
  const connected = await connect(plan, options);
  if ("error" in connected)
    return writeResult(plan, options.dir, { status: "error", reason: connected.error });
  const session = await openSession(plan, options, connected.infrastructure, connected.adapter);
  const { log } = session;

  let produced: ProduceOutcome = { producingS: 0, backlog: null };
  try {
    await prepare(session);
    produced = await produce(session);
    await drainPhase(session);
  } catch (err) {
    log.fail(errorMessage(err));
    session.ctx.abort.aborted = true;
  } finally {
    await teardown(session);
  }

  const summary = session.metrics.summary();
  const durationS = (performance.now() - session.openedAt) / 1000;
  const verdict = await judge(session, produced.producingS);
  return writeResult(plan, options.dir, {
    status: log.error === null ? "completed" : "error",
    reason: log.error,
    versions: session.versions,
    summary,
    faults: session.faults?.records() ?? [],
    skippedFaults: session.faults?.skipped() ?? [],
    warnings: log.warnings,
    verdict,
    history: session.recorder ? HISTORY_FILE : null,
    durationS,
    ...(produced.backlog !== null ? { backlogMode: produced.backlog } : {}),
  });
}
