/**
 * Opening an ioredis connection the way both Redis adapters need it (redis-streams imports this):
 * a bounded connect that fails fast naming the address, and no silent client-side retrying, so the
 * history records what the server did, not what the client papered over.
 */
import { createRequire } from "node:module";
import { Redis, type RedisOptions } from "ioredis";
import { UsageError } from "../../core/errors.js";
import { BrokerUnreachableError } from "../contract.js";

export { DEFAULT_REDIS_URL } from "./descriptor.js";

const CONNECT_TIMEOUT_MS = 3_000;

export function redisAddress(url: string): string {
  const u = new URL(url);
  return `${u.hostname || "127.0.0.1"}:${u.port || "6379"}`;
}

export interface RedisConnectOptions {
  /** CLIENT SETNAME, to find the connection in CLIENT LIST. */
  readonly name: string;
  /** Reconnect (and resubscribe) after a lost connection; off unless asked for. */
  readonly reconnect?: boolean;
}

/** Connects and waits until ready; throws BrokerUnreachableError naming host:port when it cannot. */
export async function connectRedis(adapter: string, url: string, o: RedisConnectOptions): Promise<Redis> {
  const address = redisAddress(url);
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    connectionName: o.name,
    // A failed command is reported, never resent behind the history's back.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableOfflineQueue: false,
    autoResubscribe: o.reconnect === true,
    retryStrategy: o.reconnect === true ? (times) => (times > 50 ? null : 100) : () => null,
  };
  const redis = new Redis(url, options);
  // Errors after connect surface through the commands that hit them; keep the emitter quiet.
  redis.on("error", () => {});
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect(false);
    if (err instanceof Error && err.name === "ReplyError") {
      throw new Error(`${adapter}: the Redis server at ${address} refused the connection: ${err.message}`, {
        cause: err,
      });
    }
    throw new BrokerUnreachableError(adapter, address, err);
  }
  return redis;
}

/** `redis_version` from INFO server. */
export async function redisServerVersion(redis: Redis): Promise<string> {
  const info = await redis.info("server");
  return /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
}

export function ioredisVersion(): string {
  const require = createRequire(import.meta.url);
  try {
    return (require("ioredis/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function setting(settings: Readonly<Record<string, string>>, key: string, fallback: string): string {
  return settings[key] ?? fallback;
}

/** A non-negative integer setting, with an error naming the key. */
export function intSetting(
  settings: Readonly<Record<string, string>>,
  key: string,
  fallback: number,
): number {
  const raw = settings[key];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`setting ${key}=${raw}: expected a non-negative integer`);
  return n;
}
