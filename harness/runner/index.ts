export { ConsumerLoop, type ConsumerPlan, type GroupState } from "./consumer-loop.js";
export { brokerbenchVersion, environment } from "./environment.js";
export { KeyGenerator } from "./keys.js";
export { BatchEncoder, HeaderReader } from "./payloads.js";
export { type LoopContext, type ProducerOutcome, type ProducerPlan, runProducer } from "./producer-loop.js";
export {
  executeRun,
  expectationOf,
  groupNames,
  HISTORY_FILE,
  type HistoryChecker,
  RESULTS_FILE,
  type RunOptions,
  type RunProgress,
  redactSettings,
  resolveOrder,
  resolveStart,
} from "./run.js";
