/**
 * The checkers' output: what `brokerbench check --json` prints, what the runner stores as
 * `verdict` in results.json and what the reports draw. Plain JSON data, no classes; one zod schema
 * per part, the types inferred from them (checkers/verdict.ts re-exports them for the checkers).
 */
import { z } from "zod";
import { ORDER_SCOPES } from "./vocabulary.js";

export const DELIVERY_EXPECTATIONS = ["at-most-once", "at-least-once", "exactly-once", "none"] as const;
export type DeliveryExpectation = (typeof DELIVERY_EXPECTATIONS)[number];

export const expectationSchema = z
  .object({ delivery: z.enum(DELIVERY_EXPECTATIONS), order: z.enum(ORDER_SCOPES) })
  .readonly();
export type Expectation = z.output<typeof expectationSchema>;

/** Every anomaly of docs/HISTORY.md, in the order of its table. */
export const ANOMALIES = [
  "lost",
  "duplicate-delivery",
  "duplicate-processing",
  "duplicate-write",
  "unexpected",
  "aborted-read",
  "inconsistent-offset",
  "poll-skip",
  "nonmonotonic-poll",
  "nonmonotonic-send",
  "key-order",
  "total-order",
  "causal",
] as const;
export type Anomaly = (typeof ANOMALIES)[number];

/** One history line cited as evidence: its 1-based line number and its text. */
export const witnessLineSchema = z.object({ line: z.number().int(), text: z.string() }).readonly();
export type WitnessLine = z.output<typeof witnessLineSchema>;

/** One occurrence of an anomaly: what happened, and the lines that show it. */
export const witnessSchema = z
  .object({ message: z.string(), lines: z.array(witnessLineSchema).readonly() })
  .readonly();
export type Witness = z.output<typeof witnessSchema>;

export const anomalyFindingSchema = z
  .object({
    count: z.number(),
    /** At most `--witnesses N` of them. */
    witnesses: z.array(witnessSchema).readonly(),
  })
  .readonly();
export type AnomalyFinding = z.output<typeof anomalyFindingSchema>;

/** Totals per anomaly, every anomaly present (0 when none; a count an older file lacks reads as 0). */
export const anomalyCountsSchema = z
  .object(
    Object.fromEntries(ANOMALIES.map((a) => [a, z.number().default(0)])) as Record<
      Anomaly,
      z.ZodDefault<z.ZodNumber>
    >,
  )
  .readonly();
export type AnomalyCounts = z.output<typeof anomalyCountsSchema>;

const findingsSchema = z.partialRecord(z.enum(ANOMALIES), anomalyFindingSchema).readonly();

/** Per consumer group (anomalies about the log itself are reported under `log`). */
export const groupVerdictSchema = z
  .object({
    group: z.string(),
    /** The group's drain completed, so loss was judged for it. */
    drained: z.boolean(),
    delivered: z.number(),
    /** Delivered although the send's outcome was unknown (`info`): counted, never a violation. */
    recovered: z.number(),
    anomalies: findingsSchema,
  })
  .readonly();
export type GroupVerdict = z.output<typeof groupVerdictSchema>;

export const verdictSchema = z
  .object({
    valid: z.boolean(),
    expect: expectationSchema,
    /** The anomalies this expectation forbids. */
    forbidden: z.array(z.enum(ANOMALIES)).readonly(),
    /** Totals over the whole history, every anomaly present (0 when none). */
    counts: anomalyCountsSchema,
    messages: z
      .object({ attempted: z.number(), acknowledged: z.number(), failed: z.number(), unknown: z.number() })
      .readonly(),
    groups: z.array(groupVerdictSchema).readonly(),
    /** Anomalies of the log itself, not of one group (duplicate-write, inconsistent-offset, nonmonotonic-send, ...). */
    log: findingsSchema,
    /** Problems with the input that were survivable (a truncated last line, ...). */
    warnings: z.array(z.string()).readonly(),
    lines: z.number(),
  })
  .readonly();
export type Verdict = z.output<typeof verdictSchema>;
