/**
 * The `rabbitmq` adapter as the registry and `brokerbench list` see it: name, capabilities,
 * settings. Cheap to import: the amqplib client loads when the adapter connects.
 */
import type { AdapterFactory, Capabilities } from "../contract.js";

export const NAME = "rabbitmq";

export const DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672";

export const CAPABILITIES: Capabilities = {
  model: "queue",
  push: true,
  pull: true,
  queue: true,
  pubsub: true,
  // A group's queue holds what arrived since it was declared; nothing older can be re-read.
  replay: false,
  partitions: false,
  deliveryModes: ["at-most-once", "at-least-once"],
  // One channel's publishes are queued in order. Not "partition": competing consumers each get a
  // share (gaps, by design), and requeued messages come back out of order. A lone consumer reads
  // its queue in publish order (asserted by the conformance suite).
  ordering: "producer",
  idempotentProduce: false,
  // The topics' exchanges feed one topic exchange, where pattern queues are bound.
  filtering: true,
};

export const rabbitmqFactory: AdapterFactory = {
  name: NAME,
  description: "RabbitMQ (amqplib): fanout exchange per topic, a queue per group, consume or basic.get",
  capabilities: CAPABILITIES,
  settings: {
    url: { default: DEFAULT_AMQP_URL, description: "amqp://user:password@host:port[/vhost]" },
    pollIntervalMs: { default: "5", description: "pull (basic.get): pause after an empty get" },
    maxBatch: { default: "100", description: "push: most deliveries handed to the consumer at once" },
    queueType: {
      default: "classic",
      description:
        "the groups' queues: classic (RabbitMQ's default) or quorum (a Raft log fsynced before the confirm; messages kept even when transient)",
    },
    managementUrl: {
      default: "",
      description:
        "management API for `brokerbench clean` (http://user:pass@host:15672); default: port 15672 on the url's host, else rabbitmqctl on this host",
    },
  },
  connect: async (settings) => {
    const { RabbitAdapter, parseSettings } = await import("./adapter.js");
    return RabbitAdapter.connect(parseSettings(settings, { url: DEFAULT_AMQP_URL }));
  },
};
