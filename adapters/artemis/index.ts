/** The `artemis` adapter: ActiveMQ Artemis over AMQP 1.0 (rhea-promise). See README.md for what maps how. */
import type { AdapterFactory } from "../contract.js";
import { ArtemisAdapter, CAPABILITIES, capabilitiesFor } from "./adapter.js";
import { connectArtemis, NAME, parseSettings, SETTINGS } from "./connection.js";
import { ArtemisManagement } from "./management.js";

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

/**
 * Does an Artemis serve at these settings? Opens a connection and asks the management API for the
 * broker's version (a real request, not an open port); resolves with it, rejects saying why not.
 */
export async function probeArtemis(settings: Readonly<Record<string, string>>): Promise<string> {
  const conn = await connectArtemis({ ...parseSettings(settings), connectTimeoutMs: 2000 }, "probe");
  try {
    const management = await ArtemisManagement.open(conn.connection, 3000);
    try {
      return await management.version();
    } finally {
      await management.close();
    }
  } finally {
    await conn.close();
  }
}
