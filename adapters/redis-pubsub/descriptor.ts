/**
 * The `redis-pubsub` adapter as the registry and `brokerbench list` see it: name, capabilities,
 * settings. Cheap to import: the ioredis client loads when the adapter connects.
 */
import type { AdapterFactory, Capabilities } from "../contract.js";

export const NAME = "redis-pubsub";

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

export const CAPABILITIES: Capabilities = {
  // No offsets and nothing to acknowledge: a delivery is all there is (acknowledged on arrival).
  model: "queue",
  push: true,
  pull: false,
  // Every subscriber of a channel gets every message: no competing consumers.
  queue: false,
  pubsub: true,
  replay: false,
  partitions: false,
  deliveryModes: ["at-most-once"],
  // One server executes every PUBLISH in one sequence and fans each out before the next.
  ordering: "total",
  idempotentProduce: false,
  // PSUBSCRIBE globs; a message matching several of one subscriber's patterns arrives once per pattern.
  filtering: true,
};

export const redisPubSubFactory: AdapterFactory = {
  name: NAME,
  description: "Redis Pub/Sub (ioredis): SUBSCRIBE push, channels per topic, fire-and-forget",
  capabilities: CAPABILITIES,
  settings: {
    url: { default: DEFAULT_REDIS_URL, description: "redis://[user:password@]host:port[/db]" },
    resubscribe: {
      default: "true",
      description:
        "a subscriber the server disconnected reconnects and resubscribes (recorded as a new assign)",
    },
    maxBatch: { default: "100", description: "most deliveries handed to the consumer at once" },
  },
  connect: async (settings) => {
    const { RedisPubSubAdapter, parseSettings } = await import("./adapter.js");
    return RedisPubSubAdapter.connect(parseSettings(settings, { url: DEFAULT_REDIS_URL }));
  },
};
