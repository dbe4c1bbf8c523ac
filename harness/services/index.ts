/** Services brokerbench starts itself: see README.md in this folder. */

export { ARTEMIS_PROFILES, artemisService, artemisUrl } from "./artemis/artemis.js";
export { ARTEMIS_VERSION, artemisHome, cachedArtemisHome } from "./artemis/distribution.js";
export type {
  HostMode,
  MachineContext,
  NodeCondition,
  ServiceDefinition,
  ServiceInstance,
  ServiceNode,
  ServiceProfile,
  ServiceSpec,
} from "./definition.js";
export { HOST_MODES, ServiceStartError } from "./definition.js";
export { KAFKA_VERSION, kafkaClasspath, kafkaLibs, kafkaServes } from "./kafka/kafka.js";
export { findOnPath, missingPrograms } from "./machine.js";
export {
  type InstanceCondition,
  type InstanceStatus,
  type NodeStatus,
  ServiceRunningError,
  type StartOptions,
  type StopReport,
  serviceStatus,
  startService,
  statusOf,
  stopService,
} from "./manage.js";
export {
  cachedMavenLibs,
  classpathOf,
  type MavenResolveOptions,
  resolveMavenLibs,
  servicePom,
} from "./maven.js";
export { freePort, freePorts, LOOPBACK, portFree, preferredOrFreePort, requireFreePorts } from "./ports.js";
export { type NodeRecipe, type ProcessServiceOptions, startProcesses } from "./processes.js";
export { emulatorArgs, probeEmulator, pubsubService } from "./pubsub/pubsub.js";
export { SERVICES, serviceDefinition, serviceNames } from "./registry.js";
export { brokerbenchHome, cacheDir, instanceDir, nodeDataDir } from "./state.js";
