/** The `artemis` adapter: ActiveMQ Artemis over AMQP 1.0 (rhea-promise). See README.md for what maps how. */
import { connectArtemis, parseSettings } from "./connection.js";
import { ArtemisManagement } from "./management.js";

export { ArtemisAdapter, CAPABILITIES as artemisCapabilities } from "./adapter.js";
export { DEFAULT_ARTEMIS_URL } from "./connection.js";
export { artemisFactory } from "./descriptor.js";

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
