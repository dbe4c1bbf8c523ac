/**
 * The `redis-streams` adapter as the registry and `brokerbench list` see it: name, capabilities,
 * settings. Cheap to import: the ioredis client loads when the adapter connects.
 */
import type { AdapterFactory, Capabilities } from "../contract.js";
import { DEFAULT_REDIS_URL } from "../redis-pubsub/descriptor.js";

export const NAME = "redis-streams";

export const CAPABILITIES: Capabilities = {
  // XACK acknowledges entries one by one (not a committed position): the queue model, with offsets.
  model: "queue",
  push: false,
  pull: true,
  queue: true,
  pubsub: true,
  replay: true,
  partitions: false,
  deliveryModes: ["at-most-once", "at-least-once"],
  // One producer's entries land in send order. Not "partition": consumers of one group each get
  // a share of the stream (gaps, by design), and claimed redeliveries come back out of order. A
  // lone consumer does read new entries in stream order (asserted by the conformance suite).
  ordering: "producer",
  idempotentProduce: false,
};

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
  connect: async (settings) => {
    const { RedisStreamsAdapter, parseSettings } = await import("./adapter.js");
    return RedisStreamsAdapter.connect(parseSettings(settings, { url: DEFAULT_REDIS_URL }));
  },
};
