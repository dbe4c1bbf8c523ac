/**
 * Connecting to an MQTT broker: settings, one bounded connect that fails fast naming the address,
 * no automatic reconnects (a lost connection is an unknown outcome for the history, not something
 * for the client to paper over), and Nagle off on our side of the socket.
 */

import { createRequire } from "node:module";
import type { Socket } from "node:net";
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from "mqtt";
import { UsageError } from "../../core/errors.js";
import { type AdapterSettings, BrokerUnreachableError } from "../contract.js";
import { MQTT_SETTINGS } from "./descriptor.js";

export const MQTT_CLIENT_VERSION: string = (() => {
  const require = createRequire(import.meta.url);
  try {
    return (require("mqtt/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
})();

export function setting(settings: AdapterSettings, key: keyof typeof MQTT_SETTINGS): string {
  const v = settings[key];
  return v === undefined || v === "" ? MQTT_SETTINGS[key].default : v;
}

export function numberSetting(settings: AdapterSettings, key: keyof typeof MQTT_SETTINGS): number {
  const raw = setting(settings, key);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`mqtt: setting ${key}=${raw} is not a non-negative integer`);
  return n;
}

export function protocolVersion(settings: AdapterSettings): 4 | 5 {
  const v = setting(settings, "protocolVersion");
  if (v !== "4" && v !== "5")
    throw new UsageError(`mqtt: setting protocolVersion=${v} must be 4 (3.1.1) or 5`);
  return v === "5" ? 5 : 4;
}

export interface Connected {
  readonly client: MqttClient;
  readonly connack: IConnackPacket;
}

/**
 * `prepare` runs before the CONNECT is sent: a resumed session's messages can arrive in the same
 * read as the CONNACK, so listeners must be in place before it.
 */
export function connectMqtt(
  settings: AdapterSettings,
  options: IClientOptions,
  prepare?: (client: MqttClient) => void,
): Promise<Connected> {
  const url = setting(settings, "url");
  const timeoutMs = numberSetting(settings, "connectTimeoutMs");
  const username = setting(settings, "username");
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      protocolVersion: protocolVersion(settings),
      connectTimeout: timeoutMs,
      reconnectPeriod: 0,
      ...(username === "" ? {} : { username, password: setting(settings, "password") }),
      ...options,
    });
    prepare?.(client);
    const fail = (cause: unknown): void => {
      clearTimeout(timer);
      client.removeAllListeners();
      client.on("error", () => {});
      client.end(true);
      reject(new BrokerUnreachableError("mqtt", url, cause));
    };
    const timer = setTimeout(() => fail(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
    client.once("error", fail);
    client.once("close", () => fail(new Error("connection closed before CONNACK")));
    client.once("connect", (connack) => {
      clearTimeout(timer);
      client.removeAllListeners("error");
      client.removeAllListeners("close");
      // A broker that dies later (a broker-crash fault, a restart) makes the client emit
      // "Keepalive timeout" or ECONNRESET: unheard, that error would end the whole process. The
      // loss shows where it matters: the pending publishes fail, the consumer's run notices.
      client.on("error", () => {});
      (client.stream as Partial<Socket>).setNoDelay?.(true);
      resolve({ client, connack });
    });
  });
}

/**
 * Ends a client, also one whose connection is already gone (the broker died): mqtt.js's `end`
 * waits for the socket's "close", which such a client has already had, so `endAsync` would never
 * settle. Then the forced end is started and not waited for; it still fails the client's pending
 * QoS 1/2 publishes ("Connection closed") when the session is clean.
 */
export async function endMqtt(
  client: MqttClient,
  force: boolean,
  opts?: Parameters<MqttClient["endAsync"]>[1],
): Promise<void> {
  const stream = client.stream as { destroyed?: boolean } | undefined;
  if (!client.connected || stream?.destroyed === true) {
    client.end(true);
    return;
  }
  await client.endAsync(force, opts);
}
