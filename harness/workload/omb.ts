/**
 * OpenMessaging Benchmark workload files (benchmark-framework's Workload.java fields), mapped onto
 * the native fields. The payload is always brokerbench's own (header + padding to messageSize), so
 * OMB's payload options are accepted and ignored; what cannot be honoured is refused. Messages about
 * a mapped field name the user's own OMB field (`OMB_FIELD_OF`).
 */
import { z } from "zod";

const OMB_KEY_DISTRIBUTORS = {
  NO_KEY: "none",
  KEY_ROUND_ROBIN: "round-robin",
  RANDOM_NANO: "random",
} as const;

export const ombSchema = z.strictObject({
  name: z.string().min(1),
  topics: z.number().int().min(1),
  partitionsPerTopic: z.number().int().min(1),
  messageSize: z.number().int().min(1),
  useRandomizedPayloads: z.boolean().optional(),
  randomBytesRatio: z.number().optional(),
  randomizedPayloadPoolSize: z.number().optional(),
  payloadFile: z.string().optional(),
  subscriptionsPerTopic: z.number().int().min(0),
  consumerPerSubscription: z.number().int().min(0),
  producersPerTopic: z.number().int().min(1),
  /** Total rate over all producers; 0 or less lets OMB find the max rate, here: `max`. */
  producerRate: z.number(),
  /** Consumers held back until this much backlog is retained, then the drain is measured (OMB's backlog mode). */
  consumerBacklogSizeGB: z.number().min(0).optional(),
  /** Share of the backlog that must be drained before the test's own duration starts (default 1). */
  backlogDrainRatio: z.number().min(0).max(1).optional(),
  testDurationMinutes: z.number().positive(),
  warmupDurationMinutes: z.number().min(0).optional(),
  keyDistributor: z.enum(Object.keys(OMB_KEY_DISTRIBUTORS) as [keyof typeof OMB_KEY_DISTRIBUTORS]).optional(),
});

export type OmbWorkload = z.output<typeof ombSchema>;

/** The OMB field a native field comes from, for messages about an OMB file. */
export const OMB_FIELD_OF: Readonly<Record<string, string>> = {
  partitions: "partitionsPerTopic",
  groups: "subscriptionsPerTopic",
  consumersPerGroup: "consumerPerSubscription",
  rate: "producerRate",
  durationS: "testDurationMinutes",
  warmupS: "warmupDurationMinutes",
  keys: "keyDistributor",
  backlogBytes: "consumerBacklogSizeGB",
  backlogDrainRatio: "backlogDrainRatio",
};

const GIB = 1024 * 1024 * 1024;

/** Fields only OMB files have: their presence marks a file as OMB. */
const OMB_MARKERS = [
  "partitionsPerTopic",
  "subscriptionsPerTopic",
  "consumerPerSubscription",
  "producerRate",
  "testDurationMinutes",
  "keyDistributor",
];

export function isOmbWorkload(raw: Record<string, unknown>): boolean {
  return OMB_MARKERS.some((k) => k in raw);
}

/** The native fields an OMB workload means (still to be validated by the native schema). */
export function fromOmb(omb: OmbWorkload): Record<string, unknown> {
  const warmupS = (omb.warmupDurationMinutes ?? 1) * 60;
  return {
    name: omb.name,
    description: `OpenMessaging Benchmark workload "${omb.name}"`,
    topics: omb.topics,
    partitions: omb.partitionsPerTopic,
    // Our header needs 28 bytes; a smaller OMB message is refused by the native schema, naming messageSize.
    messageSize: omb.messageSize,
    keys: OMB_KEY_DISTRIBUTORS[omb.keyDistributor ?? "NO_KEY"],
    producersPerTopic: omb.producersPerTopic,
    rate: omb.producerRate > 0 ? omb.producerRate : "max",
    // OMB runs the test for testDurationMinutes after a separate warmup; here warmup is part of the run.
    durationS: omb.testDurationMinutes * 60 + warmupS,
    warmupS,
    groups: Math.max(1, omb.subscriptionsPerTopic),
    consumersPerGroup: Math.max(1, omb.consumerPerSubscription),
    // OMB consumers are push-style listeners (Kafka's poll loop is hidden in the driver).
    delivery: "push",
    ...((omb.consumerBacklogSizeGB ?? 0) > 0
      ? {
          backlogBytes: Math.round((omb.consumerBacklogSizeGB ?? 0) * GIB),
          backlogDrainRatio: omb.backlogDrainRatio ?? 1,
        }
      : {}),
  };
}
