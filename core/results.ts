/**
 * results.json: one file per run, the contract between the runner and the reports (and anything
 * else a user feeds our figures into). Field names carry their unit. This zod schema is its only
 * description: the runner writes the inferred `RunResult`, the reports parse files with the schema.
 */
import { z } from "zod";
import { capabilitiesSchema } from "./capabilities.js";
import { verdictSchema } from "./verdict.js";

export const RESULTS_FORMAT = 1 as const;

const num = z.number();
const readonlyRecord = <V extends z.ZodType>(value: V) => z.record(z.string(), value).readonly();

/** Latency percentiles in milliseconds, from an HdrHistogram. */
export const latencyPercentilesSchema = z
  .object({
    count: num,
    minMs: num,
    meanMs: num,
    p50Ms: num,
    p75Ms: num,
    p90Ms: num,
    p95Ms: num,
    p99Ms: num,
    p999Ms: num,
    p9999Ms: num,
    maxMs: num,
    /** The full histogram (HdrHistogram compressed base64, microsecond units) for merging and plotting. */
    histogram: z.string(),
  })
  .readonly();
export type LatencyPercentiles = z.output<typeof latencyPercentilesSchema>;

/**
 * Latency measured from the intended send time of the constant-rate schedule (`corrected`,
 * free of coordinated omission) and from the actual send (`uncorrected`). At max rate they coincide.
 */
export const latencyPairSchema = z
  .object({ corrected: latencyPercentilesSchema, uncorrected: latencyPercentilesSchema })
  .readonly();
export type LatencyPair = z.output<typeof latencyPairSchema>;

/** One sample a second (after warmup starts counting from 0 at the start of the run). */
export const timeSampleSchema = z
  .object({
    /** Seconds since the run started (warmup included; see `warmupS`). */
    tS: num,
    publishedMsgs: num,
    consumedMsgs: num,
    /** Acknowledged but not yet consumed, summed over groups (each group counts its own backlog). */
    backlogMsgs: num,
    /**
     * End-to-end latency of the messages received in this second, from their intended send time
     * (corrected); null when none arrived. The p50 is absent in results written before it existed.
     */
    e2eP50Ms: num.nullable().optional(),
    e2eP99Ms: num.nullable(),
    publishP99Ms: num.nullable(),
  })
  .readonly();
export type TimeSample = z.output<typeof timeSampleSchema>;

export const runEnvironmentSchema = z
  .object({
    brokerbench: z.string(),
    node: z.string(),
    platform: z.string(),
    arch: z.string(),
    cpuModel: z.string(),
    cpus: num,
    memTotalMiB: num,
    hostname: z.string(),
    /** Client and server versions as the adapter reported them. */
    adapterVersions: readonlyRecord(z.string()),
  })
  .readonly();
export type RunEnvironment = z.output<typeof runEnvironmentSchema>;

/**
 * `completed`: ran and measured. `inconclusive`: ran, but without the evidence a figure or a verdict
 * needs (every or most sends failed, nothing delivered, every message inside the warmup): `reason`
 * says which, and there is no verdict. `interrupted`: stopped by Ctrl-C (SIGINT); what was measured
 * until then is kept, without a verdict. `not-supported`: the adapter cannot do it; nothing ran.
 * `error`: it failed (an unreachable broker, a stalled one, ...).
 */
export const RUN_STATUSES = ["completed", "inconclusive", "interrupted", "not-supported", "error"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A fault injected during the run, for the report's bands. */
export const faultRecordSchema = z
  .object({
    kind: z.string(),
    target: z.string(),
    /** Seconds since producing started. */
    startS: num,
    endS: num,
    /** Seconds it waited for a colliding fault (absent: it started on time). */
    delayedS: num.optional(),
    /** An outage: seconds from lifting it until the broker served again (the restart). */
    healS: num.optional(),
    /** An outage: seconds from the broker serving again until the run was (null: not within the timeout). */
    recoveryS: num.nullable().optional(),
  })
  .readonly();
export type FaultRecord = z.output<typeof faultRecordSchema>;

/** A scheduled fault that did not take place. */
export const skippedFaultSchema = z
  .object({
    kind: z.string(),
    target: z.string(),
    /** When it was due, in seconds since producing started. */
    atS: num,
    reason: z.string(),
  })
  .readonly();
export type SkippedFault = z.output<typeof skippedFaultSchema>;

/** Backlog mode (workload `backlogBytes`, OMB `consumerBacklogSizeGB`): how the backlog built and drained. */
export const backlogReportSchema = z
  .object({
    targetBytes: num,
    targetMsgs: num,
    drainRatio: num,
    /** The backlog counted as drained (messages). */
    drainedLevelMsgs: num,
    /** Seconds since producing started: consumers held back, released, backlog drained (null: not reached). */
    heldAtS: num.nullable(),
    releasedAtS: num.nullable(),
    drainedAtS: num.nullable(),
    peakMsgs: num,
    /** Seconds from the release until the backlog had drained. */
    drainS: num.nullable(),
    /** Messages consumed a second while draining, summed over groups. */
    drainConsumeMsgsPerSec: num.nullable(),
  })
  .readonly();
export type BacklogReport = z.output<typeof backlogReportSchema>;

/**
 * How long the harness's own process stood still during the measured window (after warmup, to the
 * end of the drain): its event loop's delay past each 1 ms tick and its garbage collections. A
 * harness pause shows up in the latency figures as if the broker had caused it.
 */
export const processPausesSchema = z
  .object({
    eventLoopDelayMs: z.object({ p50: num, p99: num, max: num }).readonly(),
    gc: z.object({ count: num, totalMs: num, maxMs: num }).readonly(),
  })
  .readonly();
export type ProcessPauses = z.output<typeof processPausesSchema>;

/** A pipeline run's own figures (workload kind: pipeline). */
export const pipelineResultSchema = z
  .object({
    mode: z.string(),
    processors: num,
    /** Where a (re)started processor restores its per-key state from. */
    stateRestoredFrom: z.literal("output"),
    ackedEvents: num,
    /** Events whose processing committed (reprocessing counts again). */
    processedEvents: num,
    /** Distinct input events an update of which the verifier read. */
    updatesRead: num,
    /** Input events after warmup whose update was read, a second. */
    eventsPerSec: num,
    /** Input event sent → the verifier reads its update (first time), after warmup. */
    endToEnd: latencyPercentilesSchema,
    drained: z.boolean(),
    /** Processors restarted as new processes after a failed operation (crashes not counted). */
    restarts: num,
    computation: z
      .object({
        valid: z.boolean(),
        forbidden: z.array(z.string()).readonly(),
        counts: readonlyRecord(num),
        witnesses: readonlyRecord(z.array(z.string()).readonly()),
        inputs: num,
        outputs: num,
        excessEvents: num,
        missingEvents: num,
      })
      .readonly()
      .nullable(),
  })
  .readonly();
export type PipelineResult = z.output<typeof pipelineResultSchema>;

/** One worker of a distributed run (`brokerbench run --workers/--worker`). */
export const workerRecordSchema = z
  .object({
    /** host:port as the coordinator reached it. */
    address: z.string(),
    /** completed; lost (unreachable, or its connection dropped, while `lostWhile`); error (it answered with one). */
    status: z.enum(["completed", "lost", "error"]),
    lostWhile: z.enum(["connecting", "setup", "producing", "draining", "finishing"]).optional(),
    reason: z.string().nullable(),
    /** Its share: the run's producers and consumer slots it ran, and its first history process id. */
    producers: z.array(num).readonly(),
    consumerSlots: z.array(num).readonly(),
    processBase: num,
    /** Its clock minus the coordinator's (NTP-style, best of several round trips), ± uncertainty. */
    clockOffsetMs: num.nullable(),
    clockUncertaintyMs: num.nullable(),
    /** What its clock was corrected by (0: its offset was within the uncertainty). */
    clockCorrectionMs: num.nullable(),
    sentMsgs: num.nullable(),
    ackedMsgs: num.nullable(),
    deliveredMsgs: num.nullable(),
  })
  .readonly();
export type WorkerRecord = z.output<typeof workerRecordSchema>;

export const runResultSchema = z
  .object({
    format: z.literal(RESULTS_FORMAT),
    /** Unique within an output directory: workload name plus the matrix values, e.g. `default-delivery=push`. */
    runId: z.string().min(1),
    workload: z
      .object({
        name: z.string(),
        file: z.string().nullable(),
        /** The matrix values that produced this run. */
        matrix: readonlyRecord(z.unknown()),
        /** The fully resolved workload parameters. */
        params: readonlyRecord(z.unknown()),
      })
      .readonly(),
    adapter: z
      .object({
        name: z.string(),
        /** Settings with secrets redacted. */
        settings: readonlyRecord(z.string()),
        capabilities: capabilitiesSchema,
      })
      .readonly(),
    environment: runEnvironmentSchema,
    status: z.enum(RUN_STATUSES),
    /** Why the run is not `completed`. */
    reason: z.string().nullable(),
    startedAt: z.string(),
    durationS: num,
    warmupS: num,
    counts: z
      .object({
        sentMsgs: num,
        ackedMsgs: num,
        failedMsgs: num,
        unknownMsgs: num,
        /**
         * How far behind schedule a fixed-rate producer was when the warmup ended, in ms (the most of
         * any; 0: on schedule): the warmup slots it had not sent were skipped, so the measured window
         * started on schedule. Absent in results written before it existed.
         */
        warmupDelayDroppedMs: num.optional(),
        /** Deliveries per group, redeliveries included. */
        deliveredMsgs: readonlyRecord(num),
      })
      .readonly(),
    throughput: z
      .object({
        publishMsgsPerSec: num,
        publishMBPerSec: num,
        consumeMsgsPerSec: num,
        consumeMBPerSec: num,
      })
      .readonly(),
    latency: z.object({ publish: latencyPairSchema, endToEnd: latencyPairSchema }).readonly(),
    backlog: z.object({ maxMsgs: num, finalMsgs: num }).readonly(),
    /** The harness process's own pauses; absent for a distributed run (each worker is a process of its own) and in older results. */
    harnessPauses: processPausesSchema.optional(),
    /** Backlog mode only. */
    backlogMode: backlogReportSchema.optional(),
    timeseries: z.array(timeSampleSchema).readonly(),
    /** Faults injected during the run, for the report's bands. */
    faults: z.array(faultRecordSchema).readonly(),
    /** Faults of the schedule that did not take place, and why (absent when none was skipped). */
    skippedFaults: z.array(skippedFaultSchema).readonly().optional(),
    /**
     * What went wrong without failing the run, one line each: consumer operations that failed (the
     * consumer went on as a new history process), producer lanes stopped by an unknown outcome, a
     * run that may hold more memory than the stated bound. Absent in results written before it existed.
     */
    warnings: z.array(z.string()).readonly().optional(),
    /**
     * What the injected faults did, one line each (a consumer crashed and replaced, clients
     * reconnected, acknowledgements lost): the schedule working, not warnings. Absent without faults.
     */
    faultLog: z.array(z.string()).readonly().optional(),
    /** The prefix of every name the run created on the broker (`bb-<nonce>`; `brokerbench clean --prefix`). */
    brokerPrefix: z.string().optional(),
    verdict: verdictSchema.nullable(),
    /** A pipeline run's figures and computation verdict (workload kind: pipeline). */
    pipeline: pipelineResultSchema.optional(),
    /** File name of the history, relative to results.json. */
    history: z.string().nullable(),
    /** A distributed run's workers, each with its share, clock and fate (absent: one process). */
    workers: z.array(workerRecordSchema).readonly().optional(),
  })
  .readonly();
export type RunResult = z.output<typeof runResultSchema>;
