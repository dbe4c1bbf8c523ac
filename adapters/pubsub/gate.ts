/**
 * The emulator the adapter's tests use: $BROKERBENCH_PUBSUB_URL, else 127.0.0.1:8085 (where
 * `brokerbench service start pubsub` puts it when the port is free). Down on a machine without the
 * emulator: skipped, naming what is missing; down where it is installed: skipped, or a failure
 * under BROKERBENCH_REQUIRE_SERVICES=1.
 */
import { type ServiceGate, serviceGate } from "../test/services.js";
import { findEmulator } from "./emulator.js";
import { DEFAULT_URL, parseSettings } from "./settings.js";

export const TEST_URL = process.env.BROKERBENCH_PUBSUB_URL ?? DEFAULT_URL;

export async function emulatorGate(): Promise<ServiceGate> {
  const { host, port } = parseSettings({ url: TEST_URL });
  const install = findEmulator();
  return serviceGate("pubsub", host, port, process.env, typeof install === "string" ? install : null);
}
