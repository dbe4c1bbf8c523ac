export {
  checkFaultTargets,
  type LoadOptions,
  loadWorkloadFile,
  parseWorkloadText,
  type WorkloadRun,
} from "./load.js";
export { expandMatrix, MatrixError, type MatrixPoint, pointId } from "./matrix.js";
export { fromOmb, isOmbWorkload, OMB_FIELD_OF, type OmbWorkload, ombSchema } from "./omb.js";
export { builtinWorkloadDir, builtinWorkloads, DEFAULT_WORKLOAD, resolveWorkloadArg } from "./resolve.js";
export {
  FAULT_KINDS,
  type FaultKind,
  type FaultSpec,
  FIND_MAX_DEFAULTS,
  type FindMaxSpec,
  faultSchema,
  KEY_DISTRIBUTIONS,
  type KeyDistribution,
  type PredicatesSpec,
  predicatesSchema,
  WORKLOAD_FIELD_NAMES,
  type Workload,
  type WorkloadField,
  workloadFields,
  workloadSchema,
} from "./schema.js";
export { MAX_RATE_ASSUMED, maxMessages, readingGroups } from "./volume.js";
