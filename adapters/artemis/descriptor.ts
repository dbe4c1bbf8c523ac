/**
 * The `artemis` adapter as the registry and `brokerbench list` see it: name, capabilities,
 * settings (and their parsing, which capabilities depend on). Cheap to import: rhea loads when the
 * adapter connects.
 */
import { UsageError } from "../../core/errors.js";
import type { AdapterFactory, AdapterSettings, Capabilities } from "../contract.js";

export const NAME = "artemis";

/** Artemis's own default acceptor port; credentials are those `brokerbench service start artemis` creates. */
export const DEFAULT_ARTEMIS_URL = "amqp://artemis:artemis@127.0.0.1:61616";

export const ROUTINGS = ["multicast", "anycast"] as const;
export type Routing = (typeof ROUTINGS)[number];

export interface ArtemisSettings {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** multicast: a topic is an address with one subscription queue per group; anycast: one queue. */
  readonly routing: Routing;
  /**
   * Messages are sent durable (journalled before the broker accepts them, or gives a pre-settled
   * sender its credit back): always, never, or `auto`: for at-least-once, not for at-most-once.
   */
  readonly durable: "auto" | "true" | "false";
  /** Push: most deliveries handed to the consumer in one onBatch call. */
  readonly maxBatch: number;
  readonly connectTimeoutMs: number;
}

export const SETTINGS = {
  url: {
    default: DEFAULT_ARTEMIS_URL,
    description: "amqp://user:password@host:port of an acceptor speaking AMQP",
  },
  routing: {
    default: "multicast",
    description:
      "multicast: topic = address, one durable subscription queue per group (pub-sub); anycast: topic = one queue all consumers share (no pub-sub)",
  },
  durable: {
    default: "auto",
    description:
      "durable messages (journalled before they are accepted): auto (at-least-once only, as rabbitmq's persistent), true or false",
  },
  maxBatch: { default: "100", description: "push: most deliveries handed to the consumer at once" },
  connectTimeoutMs: { default: "3000", description: "give up connecting after this many milliseconds" },
} as const;

export function parseSettings(settings: AdapterSettings): ArtemisSettings {
  const url = settings.url === undefined || settings.url === "" ? DEFAULT_ARTEMIS_URL : settings.url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${NAME}: setting url=${url} is not a URL (amqp://user:password@host:port)`);
  }
  if (parsed.protocol !== "amqp:") {
    throw new UsageError(`${NAME}: setting url=${url}: only amqp:// is supported`);
  }
  const int = (key: string, fallback: number, min: number): number => {
    const raw = settings[key];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      throw new UsageError(`${NAME}: setting ${key}=${raw}: expected an integer ≥ ${min}`);
    }
    return n;
  };
  const routing = settings.routing ?? "multicast";
  if (!(ROUTINGS as readonly string[]).includes(routing)) {
    throw new UsageError(`${NAME}: setting routing=${routing}: expected ${ROUTINGS.join(" or ")}`);
  }
  const durable = settings.durable === undefined || settings.durable === "" ? "auto" : settings.durable;
  if (durable !== "auto" && durable !== "true" && durable !== "false") {
    throw new UsageError(`${NAME}: setting durable=${durable}: expected auto, true or false`);
  }
  return {
    url,
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1",
    port: parsed.port === "" ? 61616 : Number(parsed.port),
    username: parsed.username === "" ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === "" ? undefined : decodeURIComponent(parsed.password),
    routing: routing as Routing,
    durable,
    maxBatch: int("maxBatch", 100, 1),
    connectTimeoutMs: int("connectTimeoutMs", 3000, 1),
  };
}

export function capabilitiesFor(routing: Routing): Capabilities {
  return {
    model: "queue",
    push: true,
    pull: true,
    queue: true,
    // anycast: one queue per topic, shared by every consumer whatever its group.
    pubsub: routing === "multicast",
    // A queue holds what was routed to it since it was created; nothing older can be re-read.
    replay: false,
    partitions: false,
    deliveryModes: ["at-most-once", "at-least-once"],
    // A queue is FIFO: one producer's messages are stored in send order and a lone consumer reads
    // them so. Not "partition": competing consumers each get a share, and a message returned by a
    // dead consumer is redelivered after newer ones have gone out.
    ordering: "producer",
    idempotentProduce: false,
    filtering: false,
    // JMS selectors: a group's queue filter (multicast) or a consumer's selector (anycast).
    predicates: true,
  };
}

export const CAPABILITIES = capabilitiesFor("multicast");

export const artemisFactory: AdapterFactory = {
  name: NAME,
  description:
    "ActiveMQ Artemis (AMQP 1.0, rhea): address per topic, a durable queue per group, credit push or drain pull",
  capabilities: CAPABILITIES,
  capabilitiesFor: (settings) => capabilitiesFor(parseSettings(settings).routing),
  settings: SETTINGS,
  connect: async (settings) => (await import("./adapter.js")).ArtemisAdapter.connect(parseSettings(settings)),
};
