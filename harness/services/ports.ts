/**
 * Loopback ports for services: whether one is free, and free ones to use. Services bind 127.0.0.1
 * only, so that is where they are tried (a listener on 0.0.0.0 makes the bind fail too).
 */
import { createServer, type Server } from "node:net";
import { UsageError } from "../../core/errors.js";

export const LOOPBACK = "127.0.0.1";

function listen(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(null));
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function portFree(port: number): Promise<boolean> {
  const server = await listen(port);
  if (server === null) return false;
  await close(server);
  return true;
}

/** `n` distinct free ports (all held open until every one is found, so none repeats). */
export async function freePorts(n: number): Promise<number[]> {
  const held: Server[] = [];
  try {
    while (held.length < n) {
      const server = await listen(0);
      if (server === null) throw new Error("no free loopback port");
      held.push(server);
    }
    return held.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(held.map(close));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/** `preferred` if it is free, else any free port (for a service's secondary ports). */
export async function preferredOrFreePort(preferred: number): Promise<number> {
  return preferred > 0 && preferred <= 65535 && (await portFree(preferred)) ? preferred : freePort();
}

/**
 * A service's client port: the one asked for (`--port`), or a free one when it asked for 0; a taken
 * port is requireFreePorts' one-line UsageError.
 */
export async function clientPortFor(spec: {
  readonly instance: string;
  readonly port: number;
}): Promise<number> {
  const port = spec.port === 0 ? await freePort() : spec.port;
  await requireFreePorts(spec.instance, { client: port });
  return port;
}

/** Throws a one-line UsageError naming the first taken port, what it was for, and what to do. */
export async function requireFreePorts(
  service: string,
  ports: Readonly<Record<string, number>>,
): Promise<void> {
  for (const [label, port] of Object.entries(ports)) {
    if (!(await portFree(port))) {
      throw new UsageError(
        `cannot start ${service}: ${LOOPBACK}:${port} (${label} port) is already in use; pick another --port or stop what listens there`,
      );
    }
  }
}
