/**
 * The reference broker's adapter: `--adapter reference`, in process by default, over TCP with
 * `url=host:port`. This module only describes it (capabilities, settings); the client and the
 * broker load when it connects.
 */
import type { AdapterFactory } from "../contract.js";
import {
  capabilitiesFor,
  parseReferenceSettings,
  REFERENCE_CAPABILITIES,
  REFERENCE_SETTINGS,
} from "./client/settings.js";

export const referenceAdapter: AdapterFactory = {
  name: "reference",
  description: "the built-in reference log broker (Kafka's model), embedded in process",
  capabilities: REFERENCE_CAPABILITIES,
  settings: REFERENCE_SETTINGS,
  // queue=true: a shared subscription with per-message acks, judged in the queue model.
  capabilitiesFor: (settings) => capabilitiesFor(parseReferenceSettings(settings)),
  connect: async (settings) => (await import("./client/adapter.js")).connectReference(settings),
};
