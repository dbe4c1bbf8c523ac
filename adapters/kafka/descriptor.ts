/**
 * The `kafka` adapter as the registry and `brokerbench list` see it: name, capabilities, settings.
 * Cheap to import: @platformatic/kafka loads when the adapter connects.
 */
import type { AdapterFactory, AdapterSettings, Capabilities } from "../contract.js";
import { KAFKA_SETTINGS, NAME, parseSettings } from "./settings.js";

/** Kafka's broker default `message.max.bytes` (1 MiB + 12 bytes of record batch overhead). */
export const KAFKA_DEFAULT_MESSAGE_MAX_BYTES = 1_048_588;
/** Record batch header (61 B) plus one record's framing, out of `message.max.bytes`. */
export const BATCH_OVERHEAD_BYTES = 128;

export const KAFKA_CAPABILITIES: Capabilities = {
  model: "log",
  push: false,
  pull: true,
  queue: true,
  pubsub: true,
  replay: true,
  partitions: true,
  deliveryModes: ["at-most-once", "at-least-once", "exactly-once"],
  ordering: "partition",
  idempotentProduce: true,
  // createTransactionalProducer: outputs and input offsets in one Kafka transaction (KIP-447).
  transactions: true,
  filtering: true,
  maxMessageBytes: KAFKA_DEFAULT_MESSAGE_MAX_BYTES - BATCH_OVERHEAD_BYTES,
};

/** Capabilities under these settings: the message size limit follows the broker default. */
export const kafkaFactory: AdapterFactory = {
  name: NAME,
  description: "Apache Kafka (3.x/4.x) through @platformatic/kafka: pull, consumer groups, transactions",
  capabilities: KAFKA_CAPABILITIES,
  // Called by `run` before anything runs: a bad setting (acks=2) is a usage error (exit 2) there.
  capabilitiesFor(settings: AdapterSettings): Capabilities {
    parseSettings(settings);
    return KAFKA_CAPABILITIES;
  },
  settings: KAFKA_SETTINGS,
  connect: async (settings) => (await import("./kafka-adapter.js")).connectKafkaAdapter(settings),
};
