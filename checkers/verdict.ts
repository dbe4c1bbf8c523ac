/**
 * The checkers' output (`Verdict`) and what they are asked to hold a history to (`Expectation`).
 * The verdict is part of results.json, so its one description lives in core/verdict.ts; the
 * checkers use it from here.
 */
export {
  ANOMALIES,
  type Anomaly,
  type AnomalyCounts,
  type AnomalyFinding,
  DELIVERY_EXPECTATIONS,
  type DeliveryExpectation,
  type Expectation,
  type GroupVerdict,
  type Verdict,
  verdictSchema,
  type Witness,
  type WitnessLine,
} from "../core/verdict.js";

import type { Verdict } from "../core/verdict.js";

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
