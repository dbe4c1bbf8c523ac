/**
 * Is there a container runtime testcontainers can use? Checked up front, in milliseconds, so that
 * `--provision testcontainers` on a machine without Docker or Podman fails with one line instead of
 * testcontainers' own slow search and stack trace. Mirrors where testcontainers 12 looks: DOCKER_HOST,
 * `docker.host` in ~/.testcontainers.properties, /var/run/docker.sock and the rootless sockets; plus
 * Podman's sockets, which testcontainers uses once DOCKER_HOST points at them.
 */
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../core/errors.js";

export interface RuntimeEndpoint {
  /** DOCKER_HOST-style address: unix:///path or tcp://host:port. */
  readonly dockerHost: string;
  /** Where it came from, for messages. */
  readonly source: string;
  readonly kind: "docker" | "podman" | "configured";
}

export class NoContainerRuntimeError extends UsageError {
  constructor(tried: readonly string[]) {
    super(
      `no container runtime found (${tried.join("; ")}): --provision testcontainers needs Docker or Podman; start one or drop the flag`,
    );
    this.name = "NoContainerRuntimeError";
  }
}

/** The I/O the search needs, injectable so the absence path is unit-tested without touching the host. */
export interface RuntimeProbe {
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly uid: number;
  exists(path: string): boolean;
  readFile(path: string): string | null;
  /** Resolves true when a connection opens within the timeout (unix socket path or host:port). */
  reachable(target: { path: string } | { host: string; port: number }, timeoutMs: number): Promise<boolean>;
}

export const hostProbe: RuntimeProbe = {
  env: process.env,
  home: homedir(),
  uid: userInfo().uid,
  exists: existsSync,
  readFile: (path) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return null;
    }
  },
  reachable: (target, timeoutMs) =>
    new Promise((resolve) => {
      const socket = "path" in target ? connect(target.path) : connect(target.port, target.host);
      const done = (ok: boolean): void => {
        socket.removeAllListeners();
        socket.on("error", () => {});
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(timeoutMs, () => done(false));
      socket.once("connect", () => done(true));
      socket.once("error", () => done(false));
    }),
};

function propertiesDockerHost(probe: RuntimeProbe): string | null {
  const text = probe.readFile(join(probe.home, ".testcontainers.properties"));
  if (text === null) return null;
  const line = text.split(/\r?\n/).find((l) => /^\s*docker\.host\s*[=:]/.test(l));
  return line === undefined ? null : line.replace(/^\s*docker\.host\s*[=:]\s*/, "").trim() || null;
}

/** Checks an explicit DOCKER_HOST-style address; `null` when reachable, else why not. */
async function checkAddress(probe: RuntimeProbe, address: string, timeoutMs: number): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return `${address} is not a URL`;
  }
  if (url.protocol === "unix:") {
    if (!probe.exists(url.pathname)) return `no socket at ${url.pathname}`;
    return (await probe.reachable({ path: url.pathname }, timeoutMs))
      ? null
      : `${url.pathname} refuses connections`;
  }
  if (url.protocol === "tcp:" || url.protocol === "http:" || url.protocol === "https:") {
    const port = Number(url.port || (url.protocol === "https:" ? 2376 : 2375));
    const host = url.hostname;
    return (await probe.reachable({ host, port }, timeoutMs)) ? null : `nothing answers at ${host}:${port}`;
  }
  // ssh:// and others: testcontainers' business; nothing to probe cheaply.
  return null;
}

export async function findContainerRuntime(
  probe: RuntimeProbe = hostProbe,
  timeoutMs = 1000,
): Promise<RuntimeEndpoint> {
  const tried: string[] = [];
  const configured: [string, string | null][] = [
    ["DOCKER_HOST", probe.env.DOCKER_HOST ?? null],
    ["docker.host in ~/.testcontainers.properties", propertiesDockerHost(probe)],
  ];
  for (const [source, address] of configured) {
    if (address === null || address === "") continue;
    const problem = await checkAddress(probe, address, timeoutMs);
    // An explicit setting that does not work is the answer: do not silently pick another runtime.
    if (problem !== null) throw new NoContainerRuntimeError([`${source}=${address}: ${problem}`]);
    return { dockerHost: address, source, kind: "configured" };
  }
  tried.push("DOCKER_HOST unset");
  const xdg = probe.env.XDG_RUNTIME_DIR;
  const sockets: [string, "docker" | "podman"][] = [
    ["/var/run/docker.sock", "docker"],
    ...(xdg ? ([[join(xdg, "docker.sock"), "docker"]] as [string, "docker"][]) : []),
    [join(probe.home, ".docker", "run", "docker.sock"), "docker"],
    [join(probe.home, ".docker", "desktop", "docker.sock"), "docker"],
    [join("/run", "user", String(probe.uid), "docker.sock"), "docker"],
    ...(xdg ? ([[join(xdg, "podman", "podman.sock"), "podman"]] as [string, "podman"][]) : []),
    [join("/run", "user", String(probe.uid), "podman", "podman.sock"), "podman"],
    ["/run/podman/podman.sock", "podman"],
  ];
  const seen = new Set<string>();
  const absent: string[] = [];
  for (const [path, kind] of sockets) {
    if (seen.has(path)) continue;
    seen.add(path);
    if (!probe.exists(path)) {
      absent.push(path);
      continue;
    }
    if (await probe.reachable({ path }, timeoutMs)) {
      return { dockerHost: `unix://${path}`, source: path, kind };
    }
    tried.push(`${path} refuses connections`);
  }
  if (absent.length > 0) {
    const [first, ...others] = absent;
    tried.push(
      `no socket at ${first}${others.length > 0 ? ` nor at ${others.length} rootless/Podman paths` : ""}`,
    );
  }
  throw new NoContainerRuntimeError(tried);
}
