export { type FaultActions, type FaultLog, type FaultRecord, FaultScheduler } from "./scheduler.js";
export { type FlushPolicy, SpawnedBroker } from "./spawned-broker.js";
