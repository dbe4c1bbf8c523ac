/**
 * What a `rate: find-max` search found, as `brokerbench run` writes it (`find-max.json` in the
 * output directory: one record per searched run) and the reports read it.
 */
import { z } from "zod";

const rate = z.number().positive();

export const trialOutcomeSchema = z.object({
  rate,
  sustained: z.boolean(),
  /** Why the rate did not hold, in words; null when it held. */
  reason: z.string().nullable(),
});
export type TrialOutcome = z.output<typeof trialOutcomeSchema>;

export const findMaxCriteriaSchema = z.object({
  /** A rate holds only with end-to-end p99 (corrected) at most this. */
  p99Ms: z.number().positive(),
  startRate: rate,
  maxRate: rate,
  precision: z.number().positive(),
});
export type FindMaxCriteria = z.output<typeof findMaxCriteriaSchema>;

export const findMaxResultSchema = z.object({
  /** The highest rate that held, or null when none did. */
  maxRate: rate.nullable(),
  /** The lowest rate tried that did not hold, or null when every rate tried held. */
  firstFailing: trialOutcomeSchema.nullable(),
  /** Every trial in the order run; trial k's run is `<runId>-rate=<rate>`. */
  trials: z.array(trialOutcomeSchema),
  /** Every rate up to the criteria's maxRate held: the broker may go higher. */
  capped: z.boolean(),
});
export type FindMaxResult = z.output<typeof findMaxResultSchema>;

export const findMaxRecordSchema = z.object({
  /** The planned run the search was for; its trials are `<runId>-rate=<rate>`. */
  runId: z.string(),
  adapter: z.string(),
  criteria: findMaxCriteriaSchema,
  result: findMaxResultSchema,
});
export type FindMaxRecord = z.output<typeof findMaxRecordSchema>;

export const FIND_MAX_FILE = "find-max.json";

/** The run id of the trial at `rate` of the search for `runId`. */
export const trialRunId = (runId: string, rate: number) => `${runId}-rate=${rate}`;
