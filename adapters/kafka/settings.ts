/**
 * The kafka adapter's settings: their table (for `brokerbench list`), the presets that mirror
 * OpenMessaging Benchmark's Kafka drivers, and the parser that turns strings into a checked
 * `KafkaSettings`. Everything here is checked before connecting: a bad value is one UsageError
 * line naming the setting (exit 2), never an unreachable broker.
 */
import * as zlib from "node:zlib";
import { UsageError } from "../../core/errors.js";
import type { AdapterSettings } from "../contract.js";

export const NAME = "kafka";
export const DEFAULT_URL = "127.0.0.1:9092";

export const COMPRESSIONS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export const ROUTES = ["auto", "advertised", "bootstrap"] as const;
export type Route = (typeof ROUTES)[number];

export const KAFKA_SETTINGS = {
  url: { default: DEFAULT_URL, description: "bootstrap servers, host:port[,host:port…]" },
  preset: {
    default: "",
    description:
      "OpenMessaging Benchmark driver: kafka-throughput, kafka-latency or kafka-exactly-once (explicit settings win)",
  },
  acks: {
    default: "all",
    description: "0, 1 or all: replicas that must have a batch before it is acknowledged",
  },
  idempotence: {
    default: "auto",
    description:
      "true, false or auto (on for exactly-once and when the runner asks): producer id + sequence numbers, the broker drops retried batches",
  },
  lingerMs: { default: "0", description: "ms a producer waits for more sends to share one Produce request" },
  batchBytes: {
    default: "16384",
    description: "a Produce request is sent at once when its pending messages reach this many bytes",
  },
  maxInFlight: {
    default: "5",
    description:
      "Produce requests a producer has outstanding (an idempotent producer: 1, the client's limit)",
  },
  compression: { default: "none", description: "none, gzip, snappy, lz4 or zstd" },
  requestTimeoutMs: {
    default: "30000",
    description: "Produce timeout the broker honours, and the client's request timeout",
  },
  sessionTimeoutMs: {
    default: "6000",
    description:
      "consumer group session timeout (the broker's group.min.session.timeout.ms is 6000 by default)",
  },
  heartbeatMs: { default: "500", description: "consumer group heartbeat interval" },
  rebalanceTimeoutMs: {
    default: "6000",
    description: "how long the coordinator waits for members to rejoin a rebalance",
  },
  fetchMaxWaitMs: {
    default: "100",
    description: "longest a Fetch waits on the broker for data (OMB polls every 100 ms)",
  },
  fetchMaxBytes: { default: "8388608", description: "most bytes one Fetch returns" },
  replicas: {
    default: "1",
    description: "replication factor of the topics the adapter creates (3 on a kafka-cluster)",
  },
  topicConfigs: {
    default: "",
    description:
      "configs of the topics the adapter creates, name=value[,name=value…] (min.insync.replicas=2,unclean.leader.election.enable=true)",
  },
  route: {
    default: "auto",
    description:
      "where broker connections go: advertised (what metadata says), bootstrap (every broker at the url: one broker behind a proxy), auto (bootstrap when the cluster has one broker)",
  },
} as const satisfies Record<string, { default: string; description: string }>;

export type SettingName = keyof typeof KAFKA_SETTINGS;

/**
 * OpenMessaging Benchmark's Kafka drivers (driver-kafka/*.yaml), replication 1 on one node:
 * kafka-throughput `acks=all linger.ms=1 batch.size=1048576`, kafka-latency the same with
 * `batch.size=131072`, kafka-exactly-once `enable.idempotence=true
 * max.in.flight.requests.per.connection=1 acks=all`.
 */
export const PRESETS: Readonly<Record<string, Partial<Record<SettingName, string>>>> = {
  "kafka-throughput": { acks: "all", lingerMs: "1", batchBytes: "1048576" },
  "kafka-latency": { acks: "all", lingerMs: "1", batchBytes: "131072" },
  "kafka-exactly-once": { acks: "all", idempotence: "true", maxInFlight: "1" },
};

export interface KafkaSettings {
  readonly bootstrap: readonly { readonly host: string; readonly port: number }[];
  readonly url: string;
  /** Produce `acks`: 0, 1 or -1 (all). */
  readonly acks: 0 | 1 | -1;
  readonly idempotence: "auto" | boolean;
  readonly lingerMs: number;
  readonly batchBytes: number;
  readonly maxInFlight: number;
  readonly compression: Compression;
  readonly requestTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly fetchMaxWaitMs: number;
  readonly fetchMaxBytes: number;
  readonly route: Route;
  /** Replication factor of created topics. */
  readonly replicas: number;
  /** Topic-level configs of created topics, in the order written. */
  readonly topicConfigs: readonly { readonly name: string; readonly value: string }[];
}

/** host:port[,host:port…] (an optional `kafka://` in front is accepted). */
export function parseBootstrap(url: string): { host: string; port: number }[] {
  const servers = url
    .replace(/^kafka:\/\//, "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (servers.length === 0) throw new UsageError(`${NAME}: setting url="${url}" names no bootstrap server`);
  return servers.map((s) => {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) {
      throw new UsageError(`${NAME}: setting url=${url}: "${s}" is not host:port`);
    }
    return { host: m[1]!.replace(/^\[(.*)\]$/, "$1"), port };
  });
}

function positiveInt(name: SettingName, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`${NAME}: setting ${name}=${raw} is not an integer ≥ ${min}`);
  }
  return n;
}

function oneOf<T extends string>(name: SettingName, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`${NAME}: setting ${name}=${raw} must be one of ${allowed.join(", ")}`);
  }
  return raw as T;
}

/** `name=value[,name=value…]` (Kafka config names: dotted lowercase words). */
export function parseTopicConfigs(raw: string): { name: string; value: string }[] {
  if (raw.trim() === "") return [];
  return raw.split(",").map((pair) => {
    const m = /^\s*([a-z][a-z0-9.]*)=([^=,\s]+)\s*$/.exec(pair);
    if (m === null) {
      throw new UsageError(`${NAME}: setting topicConfigs="${raw}": "${pair}" is not name=value`);
    }
    return { name: m[1]!, value: m[2]! };
  });
}

/** The settings with the preset's values under the explicit ones, checked. */
export function parseSettings(settings: AdapterSettings): KafkaSettings {
  // Unknown keys are not refused: `--set key=value` goes to every adapter of a multi-adapter run.
  const presetName = settings["preset"] ?? "";
  let preset: Partial<Record<SettingName, string>> = {};
  if (presetName !== "") {
    const found = PRESETS[presetName];
    if (found === undefined) {
      throw new UsageError(
        `${NAME}: setting preset=${presetName} must be one of ${Object.keys(PRESETS).join(", ")}`,
      );
    }
    preset = found;
  }
  const get = (name: SettingName): string => settings[name] ?? preset[name] ?? KAFKA_SETTINGS[name].default;
  const acksRaw = get("acks");
  const acks = acksRaw === "all" || acksRaw === "-1" ? -1 : acksRaw === "0" ? 0 : acksRaw === "1" ? 1 : null;
  if (acks === null) throw new UsageError(`${NAME}: setting acks=${acksRaw} must be 0, 1 or all`);
  const idem = oneOf("idempotence", get("idempotence"), ["auto", "true", "false"] as const);
  const url = get("url");
  const compression = oneOf("compression", get("compression"), COMPRESSIONS);
  if (compression === "zstd" && typeof (zlib as Record<string, unknown>)["zstdCompressSync"] !== "function") {
    throw new UsageError(
      `${NAME}: setting compression=zstd needs node:zlib's zstd (Node.js ≥ 22.15); this is ${process.version}`,
    );
  }
  if (idem === "true" && acks !== -1) {
    throw new UsageError(`${NAME}: setting idempotence=true needs acks=all (got acks=${acksRaw})`);
  }
  return {
    url,
    bootstrap: parseBootstrap(url),
    acks,
    idempotence: idem === "auto" ? "auto" : idem === "true",
    lingerMs: positiveInt("lingerMs", get("lingerMs"), 0),
    batchBytes: positiveInt("batchBytes", get("batchBytes"), 1),
    maxInFlight: positiveInt("maxInFlight", get("maxInFlight"), 1),
    compression,
    requestTimeoutMs: positiveInt("requestTimeoutMs", get("requestTimeoutMs"), 1),
    sessionTimeoutMs: positiveInt("sessionTimeoutMs", get("sessionTimeoutMs"), 1),
    heartbeatMs: positiveInt("heartbeatMs", get("heartbeatMs"), 1),
    rebalanceTimeoutMs: positiveInt("rebalanceTimeoutMs", get("rebalanceTimeoutMs"), 1),
    fetchMaxWaitMs: positiveInt("fetchMaxWaitMs", get("fetchMaxWaitMs"), 0),
    fetchMaxBytes: positiveInt("fetchMaxBytes", get("fetchMaxBytes"), 1024),
    route: oneOf("route", get("route"), ROUTES),
    replicas: positiveInt("replicas", get("replicas"), 1),
    topicConfigs: parseTopicConfigs(get("topicConfigs")),
  };
}

/**
 * Idempotence: explicit, or (auto) when the runner asks for it or the mode is exactly-once, and
 * only with acks=all (Kafka refuses an idempotent producer on fewer acks).
 */
export function idempotent(s: KafkaSettings, asked: boolean, exactlyOnce: boolean): boolean {
  return s.idempotence === "auto" ? s.acks === -1 && (asked || exactlyOnce) : s.idempotence;
}
