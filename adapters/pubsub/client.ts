/**
 * Opening Google's Pub/Sub client against the emulator, and what it reports about itself.
 *
 * `apiEndpoint` puts the client in emulator mode (plain-text gRPC). `universeDomain` is set as
 * well: without it the client's auth layer looks for Application Default Credentials and probes
 * the GCE metadata server (169.254.169.254 and a DNS lookup of metadata.google.internal) before
 * its first call, traffic that must never leave this machine. With it, the client only ever
 * connects to the emulator's address (checked with strace: one connect, to the emulator).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type ClientConfig, PubSub, v1 } from "@google-cloud/pubsub";
import { BrokerUnreachableError } from "../contract.js";
import { NAME, type PubSubSettings } from "./settings.js";

/** Longest wait for the emulator to answer the connect probe. */
const PROBE_TIMEOUT_MS = 3_000;

export function clientConfig(settings: PubSubSettings): ClientConfig {
  return {
    projectId: settings.project,
    apiEndpoint: settings.url,
    emulatorMode: true,
    universeDomain: "googleapis.com",
  };
}

/** A client with its own gRPC channel (each producer and consumer gets one, as separate processes would). */
export function openClient(settings: PubSubSettings): PubSub {
  return new PubSub(clientConfig(settings));
}

/**
 * The generated (GAPIC) subscriber client on the same channel settings: unary Pull, Acknowledge
 * and ModifyAckDeadline with their real responses, which the high-level Subscription hides.
 */
export function openSubscriberClient(client: PubSub): v1.SubscriberClient {
  // The PubSub object worked out servicePath, port and plain-text credentials from apiEndpoint.
  const o = client.options;
  return new v1.SubscriberClient({ ...o, port: o.port === undefined ? undefined : Number(o.port) });
}

/** Lists topics once, without the client's retries: fails within seconds naming the address. */
export async function probe(client: PubSub, settings: PubSubSettings): Promise<void> {
  try {
    await client.getTopics({ pageSize: 1, gaxOpts: { timeout: PROBE_TIMEOUT_MS, maxRetries: 0 } });
  } catch (err) {
    const code = (err as { code?: number }).code;
    // 14 UNAVAILABLE (connection refused), 4 DEADLINE_EXCEEDED (nothing answers).
    if (code === 14 || code === 4 || code === undefined) {
      throw new BrokerUnreachableError(NAME, settings.url, err);
    }
    throw new Error(
      `${NAME}: the emulator at ${settings.url} refused to list topics: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** @google-cloud/pubsub does not export its package.json; read it beside the resolved entry point. */
export function clientVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    let dir = dirname(require.resolve("@google-cloud/pubsub"));
    for (let i = 0; i < 4; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === "@google-cloud/pubsub" && pkg.version) return pkg.version;
      } catch {}
      dir = dirname(dir);
    }
  } catch {}
  return "unknown";
}

/** gRPC status code of a client error, if it carries one. */
export function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

export const GRPC = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  INVALID_ARGUMENT: 3,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  CANCELLED: 1,
} as const;
