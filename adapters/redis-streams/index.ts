/** The `redis-streams` adapter: Redis Streams and consumer groups through ioredis. See README.md. */
import type { AdapterFactory } from "../contract.js";
import { DEFAULT_REDIS_URL } from "../redis-pubsub/connection.js";
import { CAPABILITIES, NAME, parseSettings, RedisStreamsAdapter } from "./adapter.js";

export const redisStreamsFactory: AdapterFactory = {
  name: NAME,
  description: "Redis Streams (ioredis): XADD, XREADGROUP pull, consumer groups, XACK, XAUTOCLAIM",
  capabilities: CAPABILITIES,
  settings: {
    url: { default: DEFAULT_REDIS_URL, description: "redis://[user:password@]host:port[/db]" },
    claimIdleMs: {
      default: "5000",
      description: "a group's pending entries idle this long are claimed (XAUTOCLAIM) by a polling consumer",
    },
    claimIntervalMs: {
      default: "1000",
      description: "how often a consumer sweeps its group's pending entries",
    },
    maxLen: { default: "0", description: "XADD MAXLEN ~ n; 0 keeps everything (trimmed entries are lost)" },
  },
  connect: (settings) => RedisStreamsAdapter.connect(parseSettings(settings, { url: DEFAULT_REDIS_URL })),
};

export { CAPABILITIES as redisStreamsCapabilities, RedisStreamsAdapter } from "./adapter.js";
export { offsetOf, parseStreamId, streamIdOf } from "./offsets.js";
