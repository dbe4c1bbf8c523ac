export { formatHostPort, type HostPort, isLoopback, parseHostPort } from "./address.js";
export { WorkerClient, WorkerUnreachable } from "./client.js";
export { type ClockOffset, type ClockSample, clockDecision, estimateOffset } from "./clock-offset.js";
export { type DistributedOptions, executeDistributedRun } from "./coordinator.js";
export { LIFELINE_ENV, LISTENING, LocalWorkers } from "./local.js";
export { NamespaceHosts } from "./namespace-hosts.js";
export { distributedRefusal, PROCESS_STRIDE, planSegments } from "./segments.js";
export { WorkerServer } from "./server.js";
export { readToken, TOKEN_ENV } from "./token.js";
