/**
 * The start of a service that is one process of a machine binary on one client port (nats-server,
 * redis-server, mosquitto): the port (the one asked for, or a free one), the node's data directory
 * and log, the timeouts. A service says only its command line, its adapters' settings and how to
 * tell that it serves.
 */
import { join } from "node:path";
import type { ServiceInstance, ServiceSpec } from "./definition.js";
import { clientPortFor, LOOPBACK } from "./ports.js";
import { startProcesses } from "./processes.js";
import { nodeDataDir } from "./state.js";

export interface OneBinaryNode {
  readonly command: string;
  /** The node's arguments; writes any file they name (a generated config) first. */
  prepare(port: number, dataDir: string): string[];
  /** The adapters' settings for the broker at `address` (host:port). */
  settings(address: string): Record<string, string>;
  /** Resolves once the node answers a real request. */
  probe(port: number): Promise<void>;
}

export async function startOneBinary(spec: ServiceSpec, node: OneBinaryNode): Promise<ServiceInstance> {
  const port = await clientPortFor(spec);
  const id = "1";
  const dataDir = nodeDataDir(spec.dataDir, id);
  const address = `${LOOPBACK}:${port}`;
  return startProcesses({
    spec,
    address,
    settings: node.settings(address),
    readyTimeoutMs: 30_000,
    stopGraceMs: 10_000,
    nodes: [
      {
        id,
        command: node.command,
        args: node.prepare(port, dataDir),
        env: spec.env,
        cwd: dataDir,
        ports: { client: port },
        dataDir,
        logFile: join(spec.dir, "logs", `node-${id}.log`),
        probe: () => node.probe(port),
      },
    ],
  });
}
