/**
 * The `pubsub` adapter's settings (`--set pubsub.key=value`), parsed once, each refused in one line
 * naming the setting.
 */
import { UsageError } from "../../core/errors.js";
import type { AdapterSettings } from "../contract.js";

export const NAME = "pubsub";
/** The emulator's own default port (`gcloud beta emulators pubsub start`). */
export const DEFAULT_EMULATOR_PORT = 8085;
export const DEFAULT_URL = `127.0.0.1:${DEFAULT_EMULATOR_PORT}`;

export type PullVariant = "streaming" | "unary";

export interface PubSubSettings {
  /** host:port of the emulator. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The Google Cloud project the topics and subscriptions live in (any name on the emulator). */
  readonly project: string;
  /** Pull delivery: StreamingPull through the client's subscriber, or one unary Pull RPC per poll. */
  readonly pull: PullVariant;
  /** Publish with ordering keys (the message key) and create subscriptions with message ordering. */
  readonly ordering: boolean;
  /** The subscriptions' ack deadline (seconds), also the streaming client's lease. */
  readonly ackDeadlineS: number;
  /** The topics' message retention (seconds): what a group starting at `earliest` can replay. */
  readonly retentionS: number;
  /** StreamingPull streams per consumer (the client's default is 5). */
  readonly streams: number;
  /** The streaming client sends acknowledgements in batches at least this often. */
  readonly ackBatchMs: number;
  /** Push: most deliveries handed to the consumer at once. */
  readonly maxBatch: number;
}

export const SETTINGS = {
  url: {
    default: DEFAULT_URL,
    description:
      "host:port of the Pub/Sub emulator (brokerbench service start pubsub); unset: $PUBSUB_EMULATOR_HOST if set",
  },
  project: { default: "brokerbench", description: "project id of the topics and subscriptions" },
  pull: {
    default: "streaming",
    description:
      "pull delivery: streaming (StreamingPull with flow control) or unary (one Pull RPC per poll)",
  },
  ordering: {
    default: "false",
    description: "publish with ordering keys (the message key) on subscriptions with message ordering",
  },
  ackDeadlineS: {
    default: "10",
    description: "subscription ack deadline in seconds (the service takes 10-600; the emulator also less)",
  },
  retentionS: {
    default: "600",
    description: "topic message retention in seconds: what a group starting at earliest replays",
  },
  streams: { default: "5", description: "pull=streaming: StreamingPull streams per consumer" },
  ackBatchMs: { default: "10", description: "pull=streaming: longest wait before a batch of acks is sent" },
  maxBatch: { default: "100", description: "push: most deliveries handed to the consumer at once" },
} as const;

function hostPortOf(url: string): { host: string; port: number } {
  const m = /^(?:https?:\/\/)?(\[[^\]]+\]|[^:/\s]+):(\d{1,5})\/?$/.exec(url.trim());
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || port < 1 || port > 65535) {
    throw new UsageError(`${NAME}: setting url=${url} is not host:port (the emulator's address)`);
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

export function parseSettings(
  settings: AdapterSettings,
  env: NodeJS.ProcessEnv = process.env,
): PubSubSettings {
  const int = (key: keyof typeof SETTINGS, min: number, max: number): number => {
    const raw = settings[key] ?? SETTINGS[key].default;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`${NAME}: setting ${key}=${raw} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
  const oneOf = <T extends string>(key: keyof typeof SETTINGS, values: readonly T[]): T => {
    const raw = settings[key] ?? SETTINGS[key].default;
    if (!(values as readonly string[]).includes(raw)) {
      throw new UsageError(`${NAME}: setting ${key}=${raw} must be ${values.join(" or ")}`);
    }
    return raw as T;
  };
  const url = settings.url ?? (env.PUBSUB_EMULATOR_HOST || DEFAULT_URL);
  const { host, port } = hostPortOf(url);
  const project = settings.project ?? SETTINGS.project.default;
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(project)) {
    throw new UsageError(
      `${NAME}: setting project=${project} is not a project id (6-30 lowercase letters, digits, hyphens)`,
    );
  }
  return {
    url: `${host.includes(":") ? `[${host}]` : host}:${port}`,
    host,
    port,
    project,
    pull: oneOf("pull", ["streaming", "unary"] as const),
    ordering: oneOf("ordering", ["true", "false"] as const) === "true",
    // 600 s is the service's maximum; below 10 only the emulator accepts.
    ackDeadlineS: int("ackDeadlineS", 1, 600),
    retentionS: int("retentionS", 60, 31 * 24 * 3600),
    streams: int("streams", 1, 32),
    ackBatchMs: int("ackBatchMs", 1, 1000),
    maxBatch: int("maxBatch", 1, 10_000),
  };
}
