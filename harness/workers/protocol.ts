/**
 * What a coordinator and its workers say to each other over HTTP (JSON bodies), checked with zod
 * at both ends. The routes:
 *
 *   GET  /health                 200 {ok: true}, without a token (a readiness probe)
 *   GET  /clock                  {wallMs}: the worker's own clock, for the coordinator's offset
 *   POST /runs                   SegmentRequest → connect, consumers, producers, assigned: {id}
 *   POST /runs/<id>/produce      {startMs} → producing from startMs to the end: {producingS}
 *   GET  /runs/<id>/progress     SegmentProgress: what the coordinator's drain watches
 *   POST /runs/<id>/interrupt    stop producing now (the coordinator's Ctrl-C)
 *   POST /runs/<id>/finish       close the clients, flush the history: SegmentReport
 *   GET  /runs/<id>/history      the segment's history file (then removed from the worker)
 *   POST /runs/<id>/discard      give the run up: finish it and remove its files (a run that failed)
 *
 * Every route but /health needs `Authorization: Bearer <token>` when the worker has a token.
 */
import { z } from "zod";
import { timeSampleSchema } from "../../core/results.js";
import type { HistoryEncoding } from "../history/index.js";

const int = z.number().int().nonnegative();

export const segmentRequestSchema = z.object({
  runId: z.string().min(1),
  adapter: z.string().min(1),
  settings: z.record(z.string(), z.string()),
  /** The coordinator's resolved WorkloadRun (its workload already validated there). */
  run: z.object({
    id: z.string(),
    file: z.string().nullable(),
    matrix: z.record(z.string(), z.unknown()),
    format: z.enum(["native", "omb"]),
    workload: z.record(z.string(), z.unknown()),
  }),
  segment: z.object({
    nonce: z.string().min(1),
    producers: z.array(int),
    consumerSlots: z.array(int),
    processBase: int,
  }),
  history: z.boolean(),
  historyEncoding: z.enum(["compact", "jsonl"] as const satisfies readonly HistoryEncoding[]),
  /** Subtracted from the worker's clock so that it reads the coordinator's (0: not corrected). */
  clockOffsetMs: z.number(),
});
export type SegmentRequest = z.output<typeof segmentRequestSchema>;

export const startSchema = z.object({ startMs: z.number() });

export const progressSchema = z.object({
  sentMsgs: int,
  ackedMsgs: int,
  /** Per group (the run's order): distinct messages received, last delivery (wall ms), a consumer failed. */
  distinctPerGroup: z.array(int),
  lastDeliveryMs: z.array(z.number()),
  consumerFailed: z.array(z.boolean()),
});
export type SegmentProgress = z.output<typeof progressSchema>;

export const reportSchema = z.object({
  /** The first error that failed the segment (a consumer's, every producer's), or null. */
  error: z.string().nullable(),
  warnings: z.array(z.string()),
  faultLog: z.array(z.string()),
  firstSendFailure: z.string().nullable(),
  versions: z.record(z.string(), z.string()),
  metrics: z.object({
    sentMsgs: z.number(),
    ackedMsgs: z.number(),
    failedMsgs: z.number(),
    unknownMsgs: z.number(),
    deliveredPerGroup: z.array(z.number()),
    distinctPerGroup: z.array(z.number()),
    measuredAcked: z.number(),
    measuredDelivered: z.number(),
    lastAckMs: z.number(),
    lastDeliveryMs: z.number(),
    warmupDelayDroppedMs: z.number().optional(),
    histograms: z.object({
      publishCorrected: z.string(),
      publishUncorrected: z.string(),
      e2eCorrected: z.string(),
      e2eUncorrected: z.string(),
    }),
    samples: z.array(timeSampleSchema),
    intervals: z.array(z.object({ publish: z.string(), e2e: z.string() })),
  }),
});
export type SegmentReport = z.output<typeof reportSchema>;

export const clockSchema = z.object({ wallMs: z.number() });
export const openedSchema = z.object({ id: z.string() });
export const produceDoneSchema = z.object({ producingS: z.number() });
/** A refused or failed request's body (status 4xx/5xx). */
export const errorSchema = z.object({ error: z.string() });
