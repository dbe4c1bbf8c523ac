/**
 * The `nats` adapter as the registry and `brokerbench list` see it: name, capabilities, settings.
 * Cheap to import: the nats.js client loads when the adapter connects.
 */
import type { AdapterFactory, Capabilities } from "../contract.js";

export const NATS_NAME = "nats";

export const NATS_DEFAULT_URL = "nats://127.0.0.1:4222";

export const NATS_SETTINGS = {
  url: { default: NATS_DEFAULT_URL, description: "NATS server URL (nats://host:port)" },
  user: { default: "", description: "user name, when the server requires one" },
  pass: { default: "", description: "password for `user`" },
  token: { default: "", description: "authentication token, when the server requires one" },
  connectTimeoutMs: { default: "3000", description: "give up connecting after this many milliseconds" },
} as const;

export const NATS_CAPABILITIES: Capabilities = {
  model: "queue",
  push: true,
  pull: false,
  queue: true,
  pubsub: true,
  replay: false,
  partitions: false,
  deliveryModes: ["at-most-once"],
  // NATS orders messages from one publishing connection to each subscriber; nothing across publishers.
  ordering: "producer",
  idempotentProduce: false,
  // Subject wildcards are NATS's own syntax: patterns go to the server as they are.
  filtering: true,
  // nats-server's default max_payload (1 MiB); a connection reads the server's own value
  // (withServerLimit in nats-adapter.ts).
  maxMessageBytes: 1024 * 1024,
};

export const natsFactory: AdapterFactory = {
  name: NATS_NAME,
  description: "NATS core: subjects and queue groups, at-most-once (nats.js client)",
  capabilities: NATS_CAPABILITIES,
  settings: NATS_SETTINGS,
  connect: async (settings) => (await import("./nats-adapter.js")).connectNatsAdapter(settings),
};
