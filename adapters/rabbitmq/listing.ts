/**
 * Listing a RabbitMQ broker's queues and exchanges, which AMQP 0-9-1 itself cannot do: through the
 * management plugin's HTTP API when it answers, else through `rabbitmqctl` when the broker runs on
 * this host. `brokerbench clean` needs the names; deleting goes over AMQP.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const HTTP_TIMEOUT_MS = 3000;
const CTL_TIMEOUT_MS = 60_000;

export interface AmqpResources {
  readonly queues: readonly string[];
  readonly exchanges: readonly string[];
  /** How they were listed, for the report. */
  readonly via: string;
}

/** The vhost in an AMQP URL's path (`/` when there is none). */
export function vhostOf(url: URL): string {
  const path = decodeURIComponent(url.pathname.replace(/^\//, ""));
  return path === "" ? "/" : path;
}

/** The management API's base URL: the setting, or port 15672 on the AMQP URL's host with its credentials. */
export function managementBase(amqpUrl: string, setting: string): URL {
  if (setting !== "") return new URL(setting);
  const u = new URL(amqpUrl);
  const base = new URL(`http://${u.hostname}:15672`);
  base.username = u.username || "guest";
  base.password = u.password || "guest";
  return base;
}

async function viaHttp(base: URL, vhost: string): Promise<AmqpResources> {
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString("base64")}`;
  const get = async (what: string): Promise<string[]> => {
    const url = new URL(
      `/api/${what}/${encodeURIComponent(vhost)}?columns=name`,
      `${base.protocol}//${base.host}`,
    );
    const res = await fetch(url, {
      headers: { authorization: auth },
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`${url.origin}: HTTP ${res.status}`);
    return ((await res.json()) as { name: string }[]).map((r) => r.name);
  };
  return {
    queues: await get("queues"),
    exchanges: await get("exchanges"),
    via: `the management API at ${base.host}`,
  };
}

async function viaCtl(vhost: string): Promise<AmqpResources> {
  const list = async (what: string): Promise<string[]> => {
    const { stdout } = await run("rabbitmqctl", [what, "-q", "--no-table-headers", "-p", vhost, "name"], {
      timeout: CTL_TIMEOUT_MS,
    });
    return stdout.split("\n").filter((l) => l !== "");
  };
  return { queues: await list("list_queues"), exchanges: await list("list_exchanges"), via: "rabbitmqctl" };
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export async function listAmqpResources(amqpUrl: string, managementUrl: string): Promise<AmqpResources> {
  const vhost = vhostOf(new URL(amqpUrl));
  const base = managementBase(amqpUrl, managementUrl);
  let httpError: string;
  try {
    return await viaHttp(base, vhost);
  } catch (err) {
    httpError = err instanceof Error ? err.message : String(err);
  }
  if (LOOPBACK.has(new URL(amqpUrl).hostname)) {
    try {
      return await viaCtl(vhost);
    } catch (err) {
      throw new Error(
        `cannot list the broker's queues: the management API at ${base.host} did not answer (${httpError}) ` +
          `and rabbitmqctl failed (${err instanceof Error ? err.message.split("\n")[0] : err})`,
      );
    }
  }
  throw new Error(
    `cannot list the broker's queues: the management API at ${base.host} did not answer (${httpError}); ` +
      "enable it (rabbitmq-plugins enable rabbitmq_management) or point --set managementUrl=... at it",
  );
}
