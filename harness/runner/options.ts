/** What a caller gives `executeRun`, and the progress it reports back. */
import type { AdapterFactory, AdapterSettings } from "../../adapters/contract.js";
import type { Expectation, Verdict } from "../../checkers/verdict.js";
import type { WorkloadRun } from "../workload/index.js";

export const HISTORY_FILE = "history.jsonl";
export const RESULTS_FILE = "results.json";

/** Judges a history; the checkers' `checkHistoryFile` in production. */
export type HistoryChecker = (path: string, expect: Expectation) => Promise<Verdict>;

export interface RunProgress {
  readonly phase: "connecting" | "producing" | "draining" | "checking";
  readonly elapsedS: number;
  /** Seconds of producing planned (warmup included), or null for a message-count run. */
  readonly plannedS: number | null;
  readonly plannedMsgs: number | null;
  readonly sentMsgs: number;
  readonly ackedMsgs: number;
  readonly backlogMsgs: number;
}

export interface RunOptions {
  readonly run: WorkloadRun;
  readonly runId: string;
  readonly factory: AdapterFactory;
  /** The workload's `settings:` merged with `--set`, command line winning. */
  readonly settings: AdapterSettings;
  /** This run's own directory (created). */
  readonly dir: string;
  /** Record history.jsonl (and judge it). Off only for benchmarks. */
  readonly history: boolean;
  readonly check: HistoryChecker | null;
  readonly onProgress?: (p: RunProgress) => void;
}
