/** The `pubsub` adapter: Google Cloud Pub/Sub through its emulator. See README.md for what maps how. */
import type { AdapterFactory } from "../contract.js";
import { CAPABILITIES, capabilitiesFor, PubSubAdapter } from "./adapter.js";
import { NAME, parseSettings, SETTINGS } from "./settings.js";

export const pubsubFactory: AdapterFactory = {
  name: NAME,
  description:
    "Google Cloud Pub/Sub emulator (@google-cloud/pubsub): a subscription per group, streaming or unary pull, push to a loopback endpoint",
  capabilities: CAPABILITIES,
  capabilitiesFor: (settings) => capabilitiesFor(parseSettings(settings)),
  settings: SETTINGS,
  connect: (settings) => PubSubAdapter.connect(parseSettings(settings)),
};

export { CAPABILITIES as pubsubCapabilities, MAX_MESSAGE_BYTES, PubSubAdapter } from "./adapter.js";
export {
  EMULATOR_JAR_ENV,
  type EmulatorInstall,
  findEmulator,
  servingEmulatorVersion,
} from "./emulator.js";
export { KEY_ATTRIBUTE, subscriptionId } from "./messages.js";
export { DEFAULT_EMULATOR_PORT, DEFAULT_URL, parseSettings } from "./settings.js";
