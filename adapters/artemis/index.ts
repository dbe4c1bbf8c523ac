/** The `artemis` adapter: ActiveMQ Artemis over AMQP 1.0 (rhea-promise). See README.md for what maps how. */
import type { AdapterFactory } from "../contract.js";
import { ArtemisAdapter, CAPABILITIES, capabilitiesFor } from "./adapter.js";
import { NAME, parseSettings, SETTINGS } from "./connection.js";

export const artemisFactory: AdapterFactory = {
  name: NAME,
  description:
    "ActiveMQ Artemis (AMQP 1.0, rhea): address per topic, a durable queue per group, credit push or drain pull",
  capabilities: CAPABILITIES,
  capabilitiesFor: (settings) => capabilitiesFor(parseSettings(settings).routing),
  settings: SETTINGS,
  connect: (settings) => ArtemisAdapter.connect(parseSettings(settings)),
};

export { ArtemisAdapter, CAPABILITIES as artemisCapabilities } from "./adapter.js";
export { DEFAULT_ARTEMIS_URL } from "./connection.js";
