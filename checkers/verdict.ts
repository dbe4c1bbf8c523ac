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
