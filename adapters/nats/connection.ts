/**
 * Connecting to a NATS server for the `nats` and `jetstream` adapters: settings, a bounded connect
 * that fails fast with the address, and the client version for reports.
 */

import { createRequire } from "node:module";
import { type ConnectionOptions, connect, type NatsConnection } from "nats";
import { UsageError } from "../../core/errors.js";
import { type AdapterSettings, BrokerUnreachableError } from "../contract.js";
import { NATS_DEFAULT_URL } from "./descriptor.js";

/** The `nats` client's own version (read from its package, which the client does not export). */
export const NATS_CLIENT_VERSION: string = (() => {
  const require = createRequire(import.meta.url);
  try {
    return (require("nats/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
})();

export function setting(settings: AdapterSettings, key: string, fallback: string): string {
  const v = settings[key];
  return v === undefined || v === "" ? fallback : v;
}

export function numberSetting(
  adapter: string,
  settings: AdapterSettings,
  key: string,
  fallback: number,
): number {
  const raw = settings[key];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    throw new UsageError(`${adapter}: setting ${key}=${raw} is not a non-negative number`);
  }
  return n;
}

/**
 * Opens one connection. Reconnects are off: a benchmark must see a lost connection as an unknown
 * outcome (history `info`), not have the client silently replay it.
 */
export async function connectNats(
  adapter: string,
  settings: AdapterSettings,
  name: string,
): Promise<NatsConnection> {
  const url = setting(settings, "url", NATS_DEFAULT_URL);
  const timeout = numberSetting(adapter, settings, "connectTimeoutMs", 3000);
  const options: ConnectionOptions = {
    // A cluster's members, comma-separated (nats://a:4222,nats://b:4222): the client picks one.
    servers: url.split(",").map((u) => u.trim()),
    name,
    timeout,
    reconnect: false,
    maxReconnectAttempts: 0,
    // A killed consumer must not leave pings in flight that keep the test alive.
    pingInterval: 30_000,
  };
  const user = setting(settings, "user", "");
  if (user !== "") {
    options.user = user;
    options.pass = setting(settings, "pass", "");
  }
  const token = setting(settings, "token", "");
  if (token !== "") options.token = token;
  try {
    return await connect(options);
  } catch (err) {
    throw new BrokerUnreachableError(adapter, url, err);
  }
}

/**
 * PING/PONG, or an error once the connection is gone. nats.js leaves a flush pending forever when
 * the server dies under it (reconnects are off): a producer's send would then never return, and a
 * run whose broker crashed would wait on it for ever.
 */
export async function flushOrClosed(nc: NatsConnection): Promise<void> {
  if (nc.isClosed()) throw new Error("the connection is closed");
  await Promise.race([
    nc.flush(),
    nc.closed().then((err) => {
      throw err ?? new Error("the connection closed");
    }),
  ]);
}
