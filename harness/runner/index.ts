export { RunClients } from "./clients.js";
export { ConsumerLoop, type ConsumerPlan, type GroupState } from "./consumer-loop.js";
export { drain } from "./drain.js";
export { brokerbenchVersion, environment } from "./environment.js";
export { missingEvidence } from "./evidence.js";
export { brokerAddress, RunInfrastructure } from "./infrastructure.js";
export { KeyGenerator } from "./keys.js";
export { MEMORY_BOUND_BYTES, memoryEstimate, memoryWarning } from "./memory.js";
export {
  DEFAULT_HISTORY_ENCODING,
  type HistoryChecker,
  RESULTS_FILE,
  type RunOptions,
  type RunProgress,
  type RunSegment,
} from "./options.js";
export { BatchEncoder, HeaderReader } from "./payloads.js";
export {
  expectationOf,
  groupNames,
  planRun,
  type Refusal,
  type RunPlan,
  redactSettings,
  resolveDelivery,
  resolveOrder,
  resolveStart,
  sizeRefusal,
} from "./plan.js";
export { type LoopContext, type ProducerOutcome, type ProducerPlan, runProducer } from "./producer-loop.js";
export { executeRun } from "./run.js";
