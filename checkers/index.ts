/** The history checkers: docs/HISTORY.md in, a Verdict out. */
export { type CheckOptions, checkHistory, checkHistoryFile, DEFAULT_WITNESSES, verdictOf } from "./check.js";
export { HistoryParseError, NotAHistoryError } from "./errors.js";
export { DEFAULT_EXPECTATION, forbiddenBy } from "./expectation.js";
export { formatVerdict, GROUP_ANOMALIES, LOG_ANOMALIES } from "./format.js";
export { HistoryBuilder, type HistoryIndex, type Model, SEND } from "./history-index.js";
export {
  ANOMALIES,
  type Anomaly,
  type AnomalyCounts,
  type AnomalyFinding,
  DELIVERY_EXPECTATIONS,
  type DeliveryExpectation,
  type Expectation,
  type GroupVerdict,
  nothingJudged,
  type Verdict,
  type Witness,
  type WitnessLine,
} from "./verdict.js";
