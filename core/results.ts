/**
 * results.json: one file per run, the contract between the runner and the reports
 * (and anything else a user feeds our figures into). Field names carry their unit.
 */
import type { Capabilities } from "../adapters/contract.js";
import type { Verdict } from "../checkers/verdict.js";

export const RESULTS_FORMAT = 1 as const;

/** Latency percentiles in milliseconds, from an HdrHistogram. */
export interface LatencyPercentiles {
  readonly count: number;
  readonly minMs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p75Ms: number;
  readonly p90Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly p9999Ms: number;
  readonly maxMs: number;
  /** The full histogram (HdrHistogram compressed base64, microsecond units) for merging and plotting. */
  readonly histogram: string;
}

/**
 * Latency measured from the intended send time of the constant-rate schedule (`corrected`,
 * free of coordinated omission) and from the actual send (`uncorrected`). At max rate they coincide.
 */
export interface LatencyPair {
  readonly corrected: LatencyPercentiles;
  readonly uncorrected: LatencyPercentiles;
}

/** One sample a second (after warmup starts counting from 0 at the start of the run). */
export interface TimeSample {
  /** Seconds since the run started (warmup included; see `warmupS`). */
  readonly tS: number;
  readonly publishedMsgs: number;
  readonly consumedMsgs: number;
  /** Acknowledged but not yet consumed, summed over groups (each group counts its own backlog). */
  readonly backlogMsgs: number;
  readonly e2eP99Ms: number | null;
  readonly publishP99Ms: number | null;
}

export interface RunEnvironment {
  readonly brokerbench: string;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memTotalMiB: number;
  readonly hostname: string;
  /** Client and server versions as the adapter reported them. */
  readonly adapterVersions: Readonly<Record<string, string>>;
}

/** A scheduled fault that did not take place. */
export interface SkippedFault {
  readonly kind: string;
  readonly target: string;
  /** When it was due, in seconds since producing started. */
  readonly atS: number;
  readonly reason: string;
}

/**
 * `completed`: ran and measured. `inconclusive`: ran, but without the evidence a figure or a verdict
 * needs (every or most sends failed, nothing delivered, every message inside the warmup): `reason`
 * says which, and there is no verdict. `interrupted`: stopped by Ctrl-C (SIGINT); what was measured
 * until then is kept, without a verdict. `not-supported`: the adapter cannot do it; nothing ran.
 * `error`: it failed (an unreachable broker, a stalled one, ...).
 */
export const RUN_STATUSES = ["completed", "inconclusive", "interrupted", "not-supported", "error"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunResult {
  readonly format: typeof RESULTS_FORMAT;
  /** Unique within an output directory: workload name plus the matrix values, e.g. `default-delivery=push`. */
  readonly runId: string;
  readonly workload: {
    readonly name: string;
    readonly file: string | null;
    /** The matrix values that produced this run. */
    readonly matrix: Readonly<Record<string, unknown>>;
    /** The fully resolved workload parameters. */
    readonly params: Readonly<Record<string, unknown>>;
  };
  readonly adapter: {
    readonly name: string;
    /** Settings with secrets redacted. */
    readonly settings: Readonly<Record<string, string>>;
    readonly capabilities: Capabilities;
  };
  readonly environment: RunEnvironment;
  readonly status: RunStatus;
  /** Why the run is not `completed`. */
  readonly reason: string | null;
  readonly startedAt: string;
  readonly durationS: number;
  readonly warmupS: number;
  readonly counts: {
    readonly sentMsgs: number;
    readonly ackedMsgs: number;
    readonly failedMsgs: number;
    readonly unknownMsgs: number;
    /** Deliveries per group, redeliveries included. */
    readonly deliveredMsgs: Readonly<Record<string, number>>;
  };
  readonly throughput: {
    readonly publishMsgsPerSec: number;
    readonly publishMBPerSec: number;
    readonly consumeMsgsPerSec: number;
    readonly consumeMBPerSec: number;
  };
  readonly latency: {
    readonly publish: LatencyPair;
    readonly endToEnd: LatencyPair;
  };
  readonly backlog: { readonly maxMsgs: number; readonly finalMsgs: number };
  readonly timeseries: readonly TimeSample[];
  /** Faults injected during the run, for the report's bands. */
  readonly faults: readonly {
    readonly kind: string;
    readonly target: string;
    readonly startS: number;
    readonly endS: number;
    /** Seconds it waited for a colliding fault (absent: it started on time). */
    readonly delayedS?: number;
    /** An outage: seconds from lifting it until the broker served again (the restart). */
    readonly healS?: number;
    /** An outage: seconds from the broker serving again until the run was (null: not within the timeout). */
    readonly recoveryS?: number | null;
  }[];
  /** Faults of the schedule that did not take place, and why (absent when none was skipped). */
  readonly skippedFaults?: readonly SkippedFault[];
  /**
   * What went wrong without failing the run, one line each: consumer operations that failed (the
   * consumer went on as a new history process), producer lanes stopped by an unknown outcome.
   * Absent in results written before it existed.
   */
  readonly warnings?: readonly string[];
  /**
   * What the injected faults did, one line each (a consumer crashed and replaced, clients
   * reconnected, acknowledgements lost): the schedule working, not warnings. Absent without faults.
   */
  readonly faultLog?: readonly string[];
  /** The prefix of every name the run created on the broker (`bb-<nonce>`; `brokerbench clean --prefix`). */
  readonly brokerPrefix?: string;
  readonly verdict: Verdict | null;
  /** File name of the history, relative to results.json. */
  readonly history: string | null;
}
