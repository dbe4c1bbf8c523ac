/** The `pubsub` adapter: Google Cloud Pub/Sub through its emulator. See README.md for what maps how. */

export { PubSubAdapter } from "./adapter.js";
export { CAPABILITIES as pubsubCapabilities, MAX_MESSAGE_BYTES, pubsubFactory } from "./descriptor.js";
export {
  EMULATOR_JAR_ENV,
  type EmulatorInstall,
  findEmulator,
  servingEmulatorVersion,
} from "./emulator.js";
export { KEY_ATTRIBUTE, subscriptionId } from "./messages.js";
export { DEFAULT_EMULATOR_PORT, DEFAULT_URL, parseSettings } from "./settings.js";
