/**
 * Opening an amqplib connection: bounded connect (fails fast naming the address), Nagle off
 * (BROKERS.md: amqplib leaves it on, ≈ 19 % slower), and versions for the report.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type ChannelModel, connect } from "amqplib";
import { BrokerUnreachableError } from "../contract.js";

export { DEFAULT_AMQP_URL } from "./descriptor.js";

const CONNECT_TIMEOUT_MS = 3_000;

export function amqpAddress(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === "amqps:" ? "5671" : "5672");
  return `${u.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1"}:${port}`;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "EAI_AGAIN",
]);

function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return (
    (code !== undefined && NETWORK_CODES.has(code)) ||
    /ETIMEDOUT|ECONNREFUSED|Socket closed/i.test(err.message)
  );
}

export async function connectAmqp(adapter: string, url: string, name: string): Promise<ChannelModel> {
  const address = amqpAddress(url);
  let model: ChannelModel;
  try {
    model = await connect(url, {
      timeout: CONNECT_TIMEOUT_MS,
      noDelay: true,
      clientProperties: { connection_name: name },
    });
  } catch (err) {
    if (isNetworkError(err)) throw new BrokerUnreachableError(adapter, address, err);
    throw new Error(
      `${adapter}: the AMQP broker at ${address} refused the connection: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  // Errors surface through the operations that hit them; an unhandled 'error' would crash the process.
  model.on("error", () => {});
  return model;
}

/** The broker's version from connection.start's server-properties. */
export function serverVersion(model: ChannelModel): string {
  const props = (model.connection as unknown as { serverProperties?: Record<string, unknown> })
    .serverProperties;
  const version = props?.version;
  return typeof version === "string" ? version : Buffer.isBuffer(version) ? version.toString() : "unknown";
}

export function serverProduct(model: ChannelModel): string {
  const props = (model.connection as unknown as { serverProperties?: Record<string, unknown> })
    .serverProperties;
  const product = props?.product;
  return typeof product === "string"
    ? product.toLowerCase()
    : Buffer.isBuffer(product)
      ? product.toString().toLowerCase()
      : "amqp-broker";
}

/** amqplib does not export its package.json; read it beside the resolved entry point. */
export function amqplibVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(
      readFileSync(join(dirname(require.resolve("amqplib")), "package.json"), "utf8"),
    ) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return "unknown";
  }
}

/** Drops the TCP connection without a goodbye: the broker requeues whatever was unacknowledged. */
export function destroySocket(model: ChannelModel): void {
  const stream = (model.connection as unknown as { stream?: { destroy(err?: Error): void } }).stream;
  // With an error: amqplib watches only 'end' and 'error', and would otherwise leave RPCs in flight
  // (a basic.get) waiting forever.
  stream?.destroy(new Error("killed by brokerbench (fault injection)"));
}
