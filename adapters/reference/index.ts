/** The reference broker's adapter: `--adapter reference` (embedded, in process). */
import type { AdapterFactory } from "../contract.js";
import { capabilitiesFor, connectEmbedded, REFERENCE_CAPABILITIES } from "./embedded.js";
import { parseReferenceSettings, REFERENCE_SETTINGS } from "./embedded-settings.js";
import { RemoteAdapter } from "./remote.js";

export const referenceAdapter: AdapterFactory = {
  name: "reference",
  description: "the built-in reference log broker (Kafka's model), embedded in process",
  capabilities: REFERENCE_CAPABILITIES,
  settings: REFERENCE_SETTINGS,
  // queue=true: a shared subscription with per-message acks, judged in the queue model.
  capabilitiesFor: (settings) => capabilitiesFor(parseReferenceSettings(settings)),
  // url=host:port: a `brokerbench broker` server over TCP; otherwise an in-process broker.
  connect: (settings) => (settings["url"] ? RemoteAdapter.connect(settings) : connectEmbedded(settings)),
};
