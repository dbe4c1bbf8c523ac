/** What a caller gives `executeRun`, and the progress it reports back. */
import type { AdapterFactory, AdapterSettings } from "../../adapters/contract.js";
import type { Expectation, Verdict } from "../../checkers/verdict.js";
import type { HistoryEncoding } from "../history/index.js";
import type { WorkloadRun } from "../workload/index.js";

export const RESULTS_FILE = "results.json";
/** What a run records by default: the compact encoding (docs/HISTORY.md), `history.bbh`. */
export const DEFAULT_HISTORY_ENCODING: HistoryEncoding = "compact";

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

/**
 * One worker's part of a distributed run (harness/workers): the coordinator created the topics
 * and judges the union of the workers' histories, so a segment creates, deletes and judges
 * nothing, writes no meta line, and its process ids start above `processBase`.
 */
export interface RunSegment {
  /** The run's nonce, chosen by the coordinator: the topics and groups are named with it. */
  readonly nonce: string;
  /** The workload producers this segment runs, by their index in the whole run (topic-major). */
  readonly producers: readonly number[];
  /** Its consumers, by slot in the whole run: group index · consumersPerGroup + consumer. */
  readonly consumerSlots: readonly number[];
  /** Every history process id of the segment is above it (and below the next segment's). */
  readonly processBase: number;
}

export interface RunOptions {
  readonly run: WorkloadRun;
  readonly runId: string;
  readonly factory: AdapterFactory;
  /** The workload's `settings:` merged with `--set`, command line winning. */
  readonly settings: AdapterSettings;
  /** This run's own directory (created). */
  readonly dir: string;
  /** Record the history (and judge it). Off only for benchmarks and `--no-history`. */
  readonly history: boolean;
  /** How: `history.bbh` (compact, the default) or `history.jsonl`. */
  readonly historyEncoding?: HistoryEncoding;
  readonly check: HistoryChecker | null;
  readonly onProgress?: (p: RunProgress) => void;
  /** Warnings known before the run starts (it may hold more memory than the stated bound), as they come. */
  readonly onWarning?: (line: string) => void;
  /**
   * Aborted: stop producing, drain briefly, remove the run's broker resources, record what was
   * measured with status `interrupted` (the CLI aborts it on the first Ctrl-C).
   */
  readonly signal?: AbortSignal;
  /** A worker's part of a distributed run; absent: the whole run in this process. */
  readonly segment?: RunSegment;
}
