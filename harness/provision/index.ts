/**
 * `--provision <method>`: start the broker an adapter needs, for users who have no broker running.
 * The only method is `testcontainers` (Docker or Podman); its absence is detected up front and
 * reported in one line.
 */
import { UsageError } from "../../core/errors.js";
import { BROKER_IMAGES, type BrokerImage } from "./images.js";
import { findContainerRuntime, hostProbe, type RuntimeProbe } from "./runtime.js";
import type { StartedBroker } from "./testcontainers.js";

export const PROVISION_METHODS = ["testcontainers"] as const;
export type ProvisionMethod = (typeof PROVISION_METHODS)[number];

export interface ProvisionedBroker {
  /** Adapter settings pointing at the started broker (merge under the user's own `--set`). */
  readonly settings: Record<string, string>;
  /** host:port and image, for the run's log. */
  readonly address: string;
  stop(): Promise<void>;
}

export function provisionableAdapters(): readonly string[] {
  return Object.keys(BROKER_IMAGES);
}

export function brokerImage(adapterName: string): BrokerImage {
  const spec = BROKER_IMAGES[adapterName];
  if (spec === undefined) {
    throw new UsageError(
      `--provision: adapter "${adapterName}" has no broker to start` +
        (adapterName === "reference" ? " (the reference broker runs embedded)" : "") +
        `; provisionable adapters: ${provisionableAdapters().join(", ")}`,
    );
  }
  return spec;
}

export async function provisionBroker(
  adapterName: string,
  method: ProvisionMethod,
  probe: RuntimeProbe = hostProbe,
): Promise<ProvisionedBroker> {
  if (!PROVISION_METHODS.includes(method)) {
    throw new UsageError(`--provision ${method}: unknown method; known: ${PROVISION_METHODS.join(", ")}`);
  }
  const spec = brokerImage(adapterName);
  const runtime = await findContainerRuntime(probe);
  const { startWithTestcontainers } = await import("./testcontainers.js");
  const started: StartedBroker = await startWithTestcontainers(spec, runtime);
  return started;
}

export { BROKER_IMAGES, type BrokerImage, MOSQUITTO_CONFIG } from "./images.js";
export {
  findContainerRuntime,
  hostProbe,
  NoContainerRuntimeError,
  type RuntimeEndpoint,
  type RuntimeProbe,
} from "./runtime.js";
