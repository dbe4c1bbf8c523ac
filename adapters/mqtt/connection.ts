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

export const MQTT_DEFAULT_URL = "mqtt://127.0.0.1:1883";

export const MQTT_SETTINGS = {
  url: { default: MQTT_DEFAULT_URL, description: "broker URL (mqtt://host:port)" },
  username: { default: "", description: "user name, when the broker requires one" },
  password: { default: "", description: "password for `username`" },
  protocolVersion: {
    default: "5",
    description: "MQTT protocol: 5, or 4 (3.1.1: sessions never expire, keys are not carried)",
  },
  connectTimeoutMs: { default: "3000", description: "give up connecting after this many milliseconds" },
  sessionExpirySec: {
    default: "300",
    description:
      "a killed consumer's session (its queued and unacknowledged messages) waits this long for it to return",
  },
  atMostOnceQos: {
    default: "0",
    description:
      "QoS for at-most-once: 0, or 2 (no duplicates, fewer losses; keep at most 20 in flight on mosquitto)",
  },
  publishWindow: {
    default: "",
    description:
      "most QoS 1/2 publishes a producer has unacknowledged; default: the broker's CONNACK receive maximum (mosquitto: 20, and it refuses QoS 2 beyond it with Quota exceeded)",
  },
} as const;

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
      (client.stream as Partial<Socket>).setNoDelay?.(true);
      resolve({ client, connack });
    });
  });
}
