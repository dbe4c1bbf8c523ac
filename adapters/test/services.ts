/**
 * Is the real service an adapter test needs running? Adapter tests talk to the real broker; on a
 * developer machine without it they are skipped with a visible reason, and under
 * BROKERBENCH_REQUIRE_SERVICES=1 (CI) a missing service is a failure instead.
 */
import { connect } from "node:net";

/** True when a TCP connection to host:port opens within `timeoutMs`. */
export function serviceAvailable(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (up: boolean): void => {
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * How to start a service that is not one of the machine's system services (brokerbench starts it:
 * `harness/services/`), named in the skip or failure reason.
 */
export const HOW_TO_START: Readonly<Record<string, string>> = {
  artemis: "npx brokerbench service start artemis",
  pubsub: "npx brokerbench service start pubsub",
};

/** Whether a suite runs. `skip` only when the service is absent and not required; `reason` says why. */
export interface ServiceGate {
  readonly name: string;
  readonly address: string;
  readonly available: boolean;
  /** Skip the suite (service absent, not required). */
  readonly skip: boolean;
  /** Fail the suite (service absent, required by BROKERBENCH_REQUIRE_SERVICES=1). */
  readonly fail: boolean;
  readonly reason: string;
}

export function servicesRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.BROKERBENCH_REQUIRE_SERVICES === "1";
}

/**
 * Probes the service once. Use with top-level await in a test file:
 * `const redis = await serviceGate("redis", "127.0.0.1", 6379);`
 *
 * `absent`: for a service some machines cannot run at all (the Pub/Sub emulator comes with the
 * Google Cloud CLI, which no package registry here serves), one line naming what this machine
 * lacks, or null when it has it. A service that is down and absent is skipped even under
 * BROKERBENCH_REQUIRE_SERVICES=1; one that is down but could be started fails there as any other.
 */
export async function serviceGate(
  name: string,
  host: string,
  port: number,
  env: NodeJS.ProcessEnv = process.env,
  absent: string | null = null,
): Promise<ServiceGate> {
  const address = `${host}:${port}`;
  const available = await serviceAvailable(host, port);
  const required = servicesRequired(env);
  if (available) {
    return { name, address, available, skip: false, fail: false, reason: `${name} is up at ${address}` };
  }
  if (absent !== null) {
    const reason = `${name} cannot run on this machine (${absent}): skipped`;
    console.warn(`[brokerbench] ${reason}`);
    return { name, address, available, skip: true, fail: false, reason };
  }
  const start = HOW_TO_START[name] === undefined ? "start it" : `start it: ${HOW_TO_START[name]}`;
  const reason = required
    ? `${name} is not reachable at ${address} and BROKERBENCH_REQUIRE_SERVICES=1: ${start} (see DEVELOPERS.md)`
    : `${name} is not reachable at ${address}: skipped (${start}, or set BROKERBENCH_REQUIRE_SERVICES=1 to make this a failure)`;
  if (!required) console.warn(`[brokerbench] ${reason}`);
  return { name, address, available, skip: !required, fail: required, reason };
}

/** Host and port of a `scheme://[user:pass@]host:port/...` URL, with the scheme's default port. */
export function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1";
  const port = parsed.port === "" ? defaultPort : Number(parsed.port);
  return { host, port };
}
