/**
 * Opening an AMQP 1.0 connection to ActiveMQ Artemis with rhea-promise: settings, a bounded connect
 * that fails fast naming the address, the socket kept for fault injection, and versions.
 *
 * The rhea connection is created here and wrapped by rhea-promise (its documented
 * `{rheaConnection, container}` form) so that the adapter keeps what rhea-promise hides: the
 * server's open properties (product, version) and the TCP socket a `kill()` destroys.
 */
import { createRequire } from "node:module";
import { connect as netConnect, type Socket } from "node:net";
import rhea from "rhea";
import { Connection, Container } from "rhea-promise";
import { BrokerUnreachableError } from "../contract.js";
import { type ArtemisSettings, NAME } from "./descriptor.js";

export {
  type ArtemisSettings,
  DEFAULT_ARTEMIS_URL,
  NAME,
  parseSettings,
  ROUTINGS,
  type Routing,
  SETTINGS,
} from "./descriptor.js";

/** The parts of rhea's connection object the adapter uses that rhea-promise does not expose. */
interface RawConnection {
  readonly remote: { readonly open?: { readonly properties?: Record<string, unknown> } };
}

/** An open connection: rhea-promise's handle, the socket under it, and the server's open properties. */
export interface ArtemisConnection {
  readonly connection: Connection;
  readonly server: { readonly product: string; readonly version: string };
  /** Drops the TCP connection without a goodbye (fault injection): the broker returns unsettled deliveries. */
  destroy(): void;
  close(): Promise<void>;
}

export function address(s: ArtemisSettings): string {
  return `${s.host}:${s.port}`;
}

let connectionSerial = 0;

/**
 * Opens one connection under its own container id: Artemis offers `sole-connection-for-container`,
 * so two connections sharing an id could refuse each other. No reconnect: a lost connection must
 * surface as an unknown outcome, not be replayed by the client.
 */
export async function connectArtemis(s: ArtemisSettings, name: string): Promise<ArtemisConnection> {
  let socket: Socket | null = null;
  const id = `brokerbench-${name}-${process.pid}-${++connectionSerial}`;
  const container = rhea.create_container({ id });
  const raw = container.create_connection({
    host: s.host,
    port: s.port,
    ...(s.username === undefined ? {} : { username: s.username, password: s.password ?? "" }),
    reconnect: false,
    tcp_no_delay: true,
    idle_time_out: 30_000,
    // rhea calls this to open the socket; keeping it is what lets kill() drop the connection.
    connect: (port: number, host: string, _options: unknown, callback: () => void) => {
      socket = netConnect({ port, host }, callback);
      return socket;
    },
  } as Parameters<typeof container.create_connection>[0]);
  const connection = new Connection({
    rheaConnection: raw,
    container: Container.copyFromContainerInstance(container),
    operationTimeoutInSeconds: Math.ceil(s.connectTimeoutMs / 1000),
  });
  // Errors surface through the operations that hit them; an unhandled 'error' would end the process.
  connection.on("error" as never, () => {});
  try {
    await connection.open({ abortSignal: AbortSignal.timeout(s.connectTimeoutMs) });
  } catch (err) {
    (socket as Socket | null)?.destroy();
    const message = err instanceof Error ? err.message : String(err);
    if (
      /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ECONNRESET|abort|timeout|disconnect/i.test(
        message,
      ) ||
      (err as { name?: string }).name === "AbortError"
    ) {
      throw new BrokerUnreachableError(NAME, address(s), err instanceof Error ? err : new Error(message));
    }
    throw new Error(
      `${NAME}: the broker at ${address(s)} refused the connection: ${describeAmqpError(err)}`,
      {
        cause: err,
      },
    );
  }
  const props = (raw as unknown as RawConnection).remote.open?.properties ?? {};
  const server = {
    product: typeof props.product === "string" ? props.product : "amqp-broker",
    version: typeof props.version === "string" ? props.version : "unknown",
  };
  return {
    connection,
    server,
    destroy: () => {
      // With an error, so that rhea and rhea-promise fail what is in flight instead of waiting.
      (socket as Socket | null)?.destroy(new Error("killed by brokerbench (fault injection)"));
    },
    close: async () => {
      await connection.close({ abortSignal: AbortSignal.timeout(3000) }).catch(() => {
        (socket as Socket | null)?.destroy();
      });
    },
  };
}

/** An AMQP error (condition + description) or any thrown value, as one line. */
export function describeAmqpError(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { condition?: unknown; description?: unknown; message?: unknown };
    if (typeof e.condition === "string") {
      return `${e.condition}${typeof e.description === "string" ? `: ${e.description}` : ""}`;
    }
    if (typeof e.message === "string") return e.message;
  }
  return String(err);
}

/** rhea's own version (read from its package, which the library does not export). */
export const RHEA_VERSION: string = (() => {
  const require = createRequire(import.meta.url);
  try {
    return (require("rhea/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
})();
