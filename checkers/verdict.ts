/**
 * The checkers' output: what `brokerbench check --json` prints, what the runner stores as
 * `verdict` in results.json and what the reports draw. Plain JSON data, no classes.
 */
import type { OrderScope } from "../core/vocabulary.js";

export const DELIVERY_EXPECTATIONS = ["at-most-once", "at-least-once", "exactly-once", "none"] as const;
export type DeliveryExpectation = (typeof DELIVERY_EXPECTATIONS)[number];

export interface Expectation {
  readonly delivery: DeliveryExpectation;
  readonly order: OrderScope;
}

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
export interface WitnessLine {
  readonly line: number;
  readonly text: string;
}

/** One occurrence of an anomaly: what happened, and the lines that show it. */
export interface Witness {
  readonly message: string;
  readonly lines: readonly WitnessLine[];
}

export interface AnomalyFinding {
  readonly count: number;
  /** At most `--witnesses N` of them. */
  readonly witnesses: readonly Witness[];
}

export type AnomalyCounts = Readonly<Record<Anomaly, number>>;

/** Per consumer group (anomalies about the log itself are reported under `log`). */
export interface GroupVerdict {
  readonly group: string;
  /** The group's drain completed, so loss was judged for it. */
  readonly drained: boolean;
  readonly delivered: number;
  /** Delivered although the send's outcome was unknown (`info`): counted, never a violation. */
  readonly recovered: number;
  readonly anomalies: Readonly<Partial<Record<Anomaly, AnomalyFinding>>>;
}

export interface Verdict {
  readonly valid: boolean;
  readonly expect: Expectation;
  /** The anomalies this expectation forbids. */
  readonly forbidden: readonly Anomaly[];
  /** Totals over the whole history, every anomaly present (0 when none). */
  readonly counts: AnomalyCounts;
  readonly messages: {
    readonly attempted: number;
    readonly acknowledged: number;
    readonly failed: number;
    readonly unknown: number;
  };
  readonly groups: readonly GroupVerdict[];
  /** Anomalies of the log itself, not of one group (duplicate-write, inconsistent-offset, nonmonotonic-send, ...). */
  readonly log: Readonly<Partial<Record<Anomaly, AnomalyFinding>>>;
  /** Problems with the input that were survivable (a truncated last line, ...). */
  readonly warnings: readonly string[];
  readonly lines: number;
}

/**
 * Why a verdict judged nothing (no message attempted, none delivered: an empty history, or one
 * with only a meta line), or null. Nothing to judge is not "valid": `check` refuses it.
 */
export function nothingJudged(v: Verdict): string | null {
  const delivered = v.groups.reduce((n, g) => n + g.delivered, 0);
  if (v.messages.attempted > 0 || delivered > 0) return null;
  if (v.lines === 0) return "the history is empty";
  return `no message was sent or delivered in its ${v.lines} line(s)`;
}
