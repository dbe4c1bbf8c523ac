/** The `redis-pubsub` adapter: Redis Pub/Sub through ioredis. See README.md for what maps how. */
import type { AdapterFactory } from "../contract.js";
import { CAPABILITIES, NAME, parseSettings, RedisPubSubAdapter } from "./adapter.js";
import { DEFAULT_REDIS_URL } from "./connection.js";

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
  connect: (settings) => RedisPubSubAdapter.connect(parseSettings(settings, { url: DEFAULT_REDIS_URL })),
};

export { CAPABILITIES as redisPubSubCapabilities, RedisPubSubAdapter } from "./adapter.js";
