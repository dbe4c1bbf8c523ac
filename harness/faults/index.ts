export { type FaultActions, type FaultLog, type FaultRecord, FaultScheduler } from "./scheduler.js";
