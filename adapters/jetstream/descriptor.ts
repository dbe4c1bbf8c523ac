/**
 * The `jetstream` adapter as the registry and `brokerbench list` see it: name, capabilities,
 * settings. Cheap to import: the nats.js client loads when the adapter connects.
 */
import { type AdapterFactory, type Capabilities, DELIVERY_MODES } from "../contract.js";
import { NATS_SETTINGS } from "../nats/descriptor.js";

export const JETSTREAM_NAME = "jetstream";

export const JETSTREAM_CAPABILITIES: Capabilities = {
  // Acknowledgements are per message (a shared durable's members ack independently), so commits
  // are acks; offsets (stream sequences) are still recorded on every send and delivery.
  model: "queue",
  push: true,
  pull: true,
  queue: true,
  pubsub: true,
  replay: true,
  // A stream per partition: each its own ordered sequence, with its own offsets.
  partitions: true,
  deliveryModes: DELIVERY_MODES,
  // What holds for every workload: one producer's messages are stored (and so delivered) in send
  // order. A lone consumer also sees the stream in sequence order, but members of a shared durable
  // each see a subsequence and redeliveries come late, so per-consumer "partition" order (no skips,
  // no going back) is not a guarantee; ask for it with `order: partition` where it applies.
  ordering: "producer",
  idempotentProduce: true,
  // The server's max_payload (1 MiB unless configured); a connection reads the server's own value.
  maxMessageBytes: 1024 * 1024,
};

export const JETSTREAM_SETTINGS = {
  ...NATS_SETTINGS,
  storage: { default: "file", description: "stream storage: file (durable) or memory" },
  ackWaitMs: {
    default: "10000",
    description: "a delivered, unacknowledged message is redelivered after this many milliseconds",
  },
  ackTimeoutMs: {
    default: "5000",
    description: "exactly-once: how long a commit waits for the server to confirm acks",
  },
  publishTimeoutMs: {
    default: "5000",
    description: "how long a publish waits for JetStream's acknowledgement",
  },
  replicas: {
    default: "1",
    description: "copies of each stream (1–5): 3 on a jetstream-cluster, where a stream survives a node",
  },
  duplicateWindowMs: {
    default: "120000",
    description: "the stream deduplicates a message id seen within this many milliseconds",
  },
} as const;

export const jetstreamFactory: AdapterFactory = {
  name: JETSTREAM_NAME,
  description:
    "NATS JetStream: a stream per topic, durable consumers per group, push and pull (nats.js client)",
  capabilities: JETSTREAM_CAPABILITIES,
  settings: JETSTREAM_SETTINGS,
  connect: async (settings) => (await import("./jetstream-adapter.js")).connectJetStreamAdapter(settings),
};
