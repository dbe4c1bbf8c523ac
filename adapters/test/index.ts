/** The shared adapter test kit: service probes, a history writer, a small driver, the conformance suite. */
export { type ConformanceOptions, describeBrokerConformance } from "./conformance.js";
export {
  drain,
  groupSettled,
  type ProduceOptions,
  produce,
  type RunConsumerOptions,
  RunningConsumer,
  sleep,
  waitUntil,
} from "./driver.js";
export { deliveryId, type HistoryLine, type SentMessage, TestHistory } from "./history.js";
export { type GroupTally, groupTally, type Tally, tally } from "./judge.js";
export { hostPort, type ServiceGate, serviceAvailable, serviceGate, servicesRequired } from "./services.js";
