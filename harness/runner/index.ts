export { RunClients } from "./clients.js";
export { ConsumerLoop, type ConsumerPlan, type GroupState } from "./consumer-loop.js";
export { drain, INTERRUPTED_DRAIN_MS, quietFor } from "./drain.js";
export { brokerbenchVersion, environment } from "./environment.js";
export { inconclusiveReason } from "./evidence.js";
export { brokerAddress, RunInfrastructure } from "./infrastructure.js";
export { KeyGenerator } from "./keys.js";
export { MEMORY_BOUND_BYTES, memoryEstimate, memoryWarning } from "./memory.js";
export { runPrefix, topicNames } from "./names.js";
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
export { produce } from "./produce.js";
export { type LoopContext, type ProducerOutcome, type ProducerPlan, runProducer } from "./producer-loop.js";
export { type RunOutcome, writeResult } from "./result-file.js";
export { executeRun } from "./run.js";
export { errorMessage } from "./run-log.js";
export { connect, openSession, prepare, type RunSession, watchInterrupt } from "./setup.js";
export { teardown } from "./teardown.js";
