/**
 * The `pubsub` adapter as the registry and `brokerbench list` see it: name, capabilities,
 * settings. Cheap to import: Google's client loads when the adapter connects.
 */
import type { AdapterFactory, Capabilities } from "../contract.js";
import { NAME, type PubSubSettings, parseSettings, SETTINGS } from "./settings.js";

/** The least `stream_ack_deadline_seconds` a StreamingPull request may ask for. */
export const MIN_STREAM_DEADLINE_S = 10;

/** The service's limit on a message's data (the emulator takes up to ~11 MB per request, see README). */
export const MAX_MESSAGE_BYTES = 10_000_000;

const BASE_CAPABILITIES = {
  model: "queue",
  push: true,
  pull: true,
  queue: true,
  pubsub: true,
  // Topic retention + seek: a subscription made late can go back to the oldest retained message.
  replay: true,
  partitions: false,
  deliveryModes: ["at-most-once", "at-least-once", "exactly-once"],
  // Exactly-once delivery is a property of pull subscriptions only.
  deliveryModesByStyle: { push: ["at-most-once", "at-least-once"] },
  idempotentProduce: false,
  filtering: false,
  maxMessageBytes: MAX_MESSAGE_BYTES,
} as const satisfies Omit<Capabilities, "ordering">;

/**
 * Ordering keys give key order; without them Pub/Sub promises no order at all. A dead consumer's
 * messages come back when its lease runs out: the ack deadline, at least 10 s on a stream.
 */
export function capabilitiesFor(settings: Pick<PubSubSettings, "ordering" | "ackDeadlineS">): Capabilities {
  return {
    ...BASE_CAPABILITIES,
    ordering: settings.ordering ? "key" : "none",
    redeliveryDelayMs: Math.max(MIN_STREAM_DEADLINE_S, settings.ackDeadlineS) * 1000,
  };
}

export const CAPABILITIES: Capabilities = capabilitiesFor({ ordering: false, ackDeadlineS: 10 });

export const pubsubFactory: AdapterFactory = {
  name: NAME,
  description:
    "Google Cloud Pub/Sub emulator (@google-cloud/pubsub): a subscription per group, streaming or unary pull, push to a loopback endpoint",
  capabilities: CAPABILITIES,
  capabilitiesFor: (settings) => capabilitiesFor(parseSettings(settings)),
  settings: SETTINGS,
  connect: async (settings) => (await import("./adapter.js")).PubSubAdapter.connect(parseSettings(settings)),
};
