/**
 * Settings of the reference adapter (`--set key=value`), parsed once into a typed object, and the
 * capabilities they give it. A wrong value names the setting and what it accepts. Nothing here
 * loads the client or the broker: `brokerbench list` reads these without connecting.
 */
import { UsageError } from "../../../core/errors.js";
import type { AdapterSettings, Capabilities } from "../../contract.js";
import { ACKS_LEVELS, type Acks } from "../broker/acks.js";
import { ASSIGNMENT_STRATEGIES, type AssignmentStrategy } from "../broker/assignors.js";
import { DEFAULT_MAX_FRAME_BYTES } from "../protocol/frame.js";

/** What the reference broker can do (log model); `queue=true` switches a connection to the queue model. */
export const REFERENCE_CAPABILITIES: Capabilities = {
  model: "log",
  push: true,
  pull: true,
  queue: true,
  pubsub: true,
  replay: true,
  partitions: true,
  deliveryModes: ["at-most-once", "at-least-once", "exactly-once"],
  ordering: "partition",
  idempotentProduce: true,
  // Patterns resolved to the matching topics at subscribe time (patterns.ts).
  filtering: true,
  // One message travels in one request frame (16 MiB, protocol/frame.ts) with room for its framing;
  // the in-process broker holds to the same limit, so a workload runs the same way on both.
  maxMessageBytes: DEFAULT_MAX_FRAME_BYTES - 4096,
  // Transactional producers with offsets in the transaction (client/transactional-producer.ts).
  transactions: true,
};

export function capabilitiesFor(settings: ReferenceSettings): Capabilities {
  if (!settings.queue) return REFERENCE_CAPABILITIES;
  // Shared subscription: per-message acks, order only per consumer between redeliveries.
  return { ...REFERENCE_CAPABILITIES, model: "queue", ordering: "none", transactions: false };
}

export const REFERENCE_SETTINGS = {
  url: {
    default: "",
    description: "host:port of a `brokerbench broker` server; empty: embedded in process",
  },
  push: {
    default: "credit",
    description: "push variant: credit (flow-controlled window) or buffer (bounded, drops/disconnects)",
  },
  pushBuffer: {
    default: "10000",
    description: "push=buffer: messages buffered per subscriber before overflow",
  },
  overflow: {
    default: "drop",
    description: "push=buffer: on overflow drop (and count) messages, or disconnect the subscriber",
  },
  assignment: { default: "range", description: "partition assignment strategy: range or roundrobin" },
  queue: {
    default: "false",
    description: "true: shared subscription with per-message ack/nack and redelivery (queue model)",
  },
  ackTimeoutMs: {
    default: "30000",
    description: "queue=true: redeliver a message not acked within this time",
  },
  maxDeliveries: {
    default: "5",
    description: "queue=true: after this many deliveries a message goes to the dead-letter topic",
  },
  deadLetterTopic: { default: "", description: "queue=true: dead-letter topic (default <topic>.dlq)" },
  acks: { default: "leader", description: "producer acks: none, leader (appended) or flushed (durable)" },
  idempotence: {
    default: "auto",
    description: "idempotent producer: auto (when the workload asks), true, false",
  },
  sessionTimeoutMs: { default: "6000", description: "consumer group session timeout" },
  isolation: {
    default: "read_committed",
    description: "consumer isolation: read_committed or read_uncommitted",
  },
  retentionMs: { default: "", description: "embedded: delete segments older than this (empty: keep)" },
  retentionBytes: {
    default: "",
    description: "embedded: keep about this many bytes per partition (empty: all)",
  },
  segmentBytes: { default: "67108864", description: "embedded: memory log segment size (retention unit)" },
} as const;

export interface ReferenceSettings {
  /** host:port of a server; null: in process. */
  readonly url: string | null;
  readonly push: "credit" | "buffer";
  readonly pushBuffer: number;
  readonly overflow: "drop" | "disconnect";
  readonly assignment: AssignmentStrategy;
  readonly queue: boolean;
  readonly ackTimeoutMs: number;
  readonly maxDeliveries: number;
  readonly deadLetterTopic: string | null;
  readonly acks: Acks;
  readonly idempotence: "auto" | "true" | "false";
  readonly sessionTimeoutMs: number;
  readonly isolation: "read_committed" | "read_uncommitted";
  readonly retentionMs: number | null;
  readonly retentionBytes: number | null;
  readonly segmentBytes: number;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`reference adapter: setting ${name}=${value}: use one of ${allowed.join(", ")}`);
  }
  return value as T;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`reference adapter: setting ${name}=${value}: use a positive integer`);
  }
  return n;
}

export function parseReferenceSettings(settings: AdapterSettings): ReferenceSettings {
  const known = new Set(Object.keys(REFERENCE_SETTINGS));
  for (const k of Object.keys(settings)) {
    if (!known.has(k)) {
      throw new UsageError(`reference adapter: unknown setting "${k}"; known: ${[...known].join(", ")}`);
    }
  }
  const get = (k: keyof typeof REFERENCE_SETTINGS) => settings[k] ?? REFERENCE_SETTINGS[k].default;
  return {
    url: get("url") === "" ? null : get("url"),
    push: oneOf("push", get("push"), ["credit", "buffer"]),
    pushBuffer: positiveInt("pushBuffer", get("pushBuffer")),
    overflow: oneOf("overflow", get("overflow"), ["drop", "disconnect"]),
    assignment: oneOf("assignment", get("assignment"), ASSIGNMENT_STRATEGIES),
    queue: oneOf("queue", get("queue"), ["true", "false"]) === "true",
    ackTimeoutMs: positiveInt("ackTimeoutMs", get("ackTimeoutMs")),
    maxDeliveries: positiveInt("maxDeliveries", get("maxDeliveries")),
    deadLetterTopic: get("deadLetterTopic") === "" ? null : get("deadLetterTopic"),
    acks: oneOf("acks", get("acks"), ACKS_LEVELS),
    idempotence: oneOf("idempotence", get("idempotence"), ["auto", "true", "false"]),
    sessionTimeoutMs: positiveInt("sessionTimeoutMs", get("sessionTimeoutMs")),
    isolation: oneOf("isolation", get("isolation"), ["read_committed", "read_uncommitted"]),
    retentionMs: get("retentionMs") === "" ? null : positiveInt("retentionMs", get("retentionMs")),
    retentionBytes:
      get("retentionBytes") === "" ? null : positiveInt("retentionBytes", get("retentionBytes")),
    segmentBytes: positiveInt("segmentBytes", get("segmentBytes")),
  };
}
