export type { ClusterControl, MemberTarget } from "./cluster.js";
export type { BrokerControl, ConsumerControl, FaultEnv, NetworkControl, Recovery } from "./env.js";
export {
  CONFLICT_POLICIES,
  type ConflictPolicy,
  FAULT_KINDS,
  FAULT_PARAMS,
  FAULTS,
  type FaultContext,
  type FaultKind,
  type FaultKindDef,
  type FaultNeed,
  type FaultParam,
  type FaultSpec,
  faultProblem,
  faultSchema,
  faultsNeed,
  type Hold,
  targetOf,
} from "./kinds.js";
export {
  expandNemesis,
  NemesisError,
  type NemesisSpec,
  nemesisSchema,
  randomSeed,
  seededRandom,
} from "./nemesis.js";
export { type FaultActions, type FaultLog, type FaultRecord, FaultScheduler } from "./scheduler.js";
export { privateBrokerProblem, ServiceBroker, serviceFor } from "./service-broker.js";
export { type FlushPolicy, SpawnedBroker } from "./spawned-broker.js";
export {
  type BrokerTarget,
  type ConsumerTarget,
  consumerSlot,
  describeTarget,
  type FaultShape,
  type FaultTarget,
  missingTarget,
  type ProducerTarget,
  parseTarget,
  TARGET_FORMS,
  type TargetFormName,
} from "./targets.js";
