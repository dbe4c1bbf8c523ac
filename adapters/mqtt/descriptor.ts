/**
 * The `mqtt` adapter as the registry and `brokerbench list` see it: name, capabilities, settings.
 * Cheap to import: the mqtt.js client loads when the adapter connects.
 */
import type { AdapterFactory, Capabilities } from "../contract.js";

export const MQTT_NAME = "mqtt";

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

export const MQTT_CAPABILITIES: Capabilities = {
  model: "queue",
  push: true,
  pull: false,
  queue: true,
  pubsub: true,
  replay: false,
  partitions: false,
  deliveryModes: ["at-most-once", "at-least-once"],
  // MQTT orders one client's publishes on a topic (per QoS) to each subscriber.
  ordering: "producer",
  idempotentProduce: false,
  // Topic filters (`+`, `#`) in shared subscriptions; see README for overlapping filters.
  filtering: true,
};

export const mqttFactory: AdapterFactory = {
  name: MQTT_NAME,
  description: "MQTT QoS 0/1 (QoS 2 for at-most-once), shared subscriptions per group (mqtt.js client)",
  capabilities: MQTT_CAPABILITIES,
  settings: MQTT_SETTINGS,
  connect: async (settings) => (await import("./mqtt-adapter.js")).connectMqttAdapter(settings),
};
