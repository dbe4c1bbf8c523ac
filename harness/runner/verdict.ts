/**
 * Phase 5, verdict: the checkers judge the recorded history against the run's expectation. A run
 * that failed, or recorded no history, gets no verdict.
 */
import type { Verdict } from "../../checkers/verdict.js";
import { progressOf } from "./monitor.js";
import { errorMessage } from "./run-log.js";
import type { RunSession } from "./setup.js";

export async function judge(session: RunSession, producingS: number): Promise<Verdict | null> {
  const { options, recorder, log, plan, metrics } = session;
  if (recorder === null || options.check === null || log.error !== null) return null;
  options.onProgress?.(progressOf("checking", producingS, plan.workload, metrics));
  try {
    return await options.check(session.historyPath, plan.expect);
  } catch (err) {
    log.fail(`checking the history failed: ${errorMessage(err)}`);
    return null;
  }
}
