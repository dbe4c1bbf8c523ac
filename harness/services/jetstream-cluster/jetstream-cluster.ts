/**
 * A 3-node NATS JetStream cluster as a service (`brokerbench service start jetstream-cluster`):
 * three `nats-server -c <file>` processes (the machine's nats-server) on 127.0.0.1, each with
 * JetStream on its own store directory and a cluster route to the others, so streams created with
 * 3 replicas (the jetstream adapter's `replicas=3`) live on all three, kept by Raft. Ready when
 * each node's monitoring endpoint (/jsz) reports a JetStream meta leader and a 3-member meta group.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MachineContext, ServiceDefinition, ServiceSpec } from "../definition.js";
import { missingPrograms } from "../machine.js";
import { freePorts, LOOPBACK, requireFreePorts } from "../ports.js";
import { type NodeRecipe, startProcesses } from "../processes.js";
import { nodeDataDir } from "../state.js";
import { JETSTREAM_CLUSTER_NODES, natsServerConfig, nodeOfServer } from "./config.js";

interface Jsz {
  readonly meta_cluster?: { readonly leader?: string; readonly cluster_size?: number };
}
interface Routez {
  readonly num_routes?: number;
}

async function monitorJson<T>(monitor: string, path: string): Promise<T> {
  const response = await fetch(`http://${monitor}${path}`, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`${monitor}${path} answered HTTP ${response.status}`);
  return (await response.json()) as T;
}

/**
 * Ready: the node's monitoring endpoint shows routes to the other members (/routez) and a
 * JetStream meta group of all of them with an elected leader (/jsz), so an R3 stream can be placed.
 * (Only the meta leader lists which members are current; any node knows the size and the leader.)
 */
export async function jetstreamClusterServes(monitor: string, nodes: number): Promise<void> {
  const routes = (await monitorJson<Routez>(monitor, "/routez")).num_routes ?? 0;
  if (routes < nodes - 1) throw new Error(`${monitor}: ${routes} of ${nodes - 1} cluster routes up`);
  const meta = (await monitorJson<Jsz>(monitor, "/jsz")).meta_cluster;
  if (meta?.leader === undefined || meta.leader === "")
    throw new Error(`${monitor}: no JetStream meta leader yet`);
  if ((meta.cluster_size ?? 0) < nodes) {
    throw new Error(`${monitor}: JetStream meta group of ${meta.cluster_size ?? 0}, not ${nodes}`);
  }
}

export const jetstreamClusterService: ServiceDefinition = {
  name: "jetstream-cluster",
  description: "3 nats-server processes with JetStream and a cluster route (R3 streams)",
  adapters: ["jetstream", "nats"],
  defaultPort: 0,
  profiles: [{ name: "default", description: "file storage, each node its own store directory" }],
  nodeCounts: [JETSTREAM_CLUSTER_NODES],
  hostModes: ["loopback", "netns"],

  missing: (machine: MachineContext) => missingPrograms(["nats-server"], machine.env),

  async start(spec: ServiceSpec) {
    const n = JETSTREAM_CLUSTER_NODES;
    const clientPorts =
      spec.port === 0 ? await freePorts(n) : Array.from({ length: n }, (_, i) => spec.port + i);
    await requireFreePorts(
      spec.instance,
      Object.fromEntries(clientPorts.map((p, i) => [`node ${i + 1} client`, p])),
    );
    const others = (await freePorts(n * 3)).filter((p) => !clientPorts.includes(p));
    const routePorts = others.slice(0, n);
    const monitorPorts = others.slice(n, 2 * n);
    const configDir = join(spec.dir, "config");
    const logsDir = join(spec.dir, "logs");
    mkdirSync(configDir, { recursive: true });
    // hosts: netns: node i in host i, on its own address; otherwise all on loopback.
    const hosts = clientPorts.map((_, i) => spec.network?.host(i + 1).address ?? LOOPBACK);

    const recipes: NodeRecipe[] = clientPorts.map((clientPort, i) => {
      const id = String(i + 1);
      const storeDir = nodeDataDir(spec.dataDir, id);
      const configFile = join(configDir, `node-${id}.conf`);
      writeFileSync(
        configFile,
        natsServerConfig({
          id,
          host: hosts[i]!,
          clientPort,
          routePort: routePorts[i]!,
          monitorPort: monitorPorts[i]!,
          storeDir,
          routePorts,
          routeHosts: hosts,
        }),
      );
      const monitor = `${hosts[i]!}:${monitorPorts[i]!}`;
      const args = ["-c", configFile];
      return {
        id,
        ...(spec.network === null
          ? { command: "nats-server", args }
          : spec.network.commandIn(i + 1, "nats-server", args)),
        host: hosts[i]!,
        env: spec.env,
        cwd: spec.dir,
        ports: { client: clientPort, route: routePorts[i]!, monitor: monitorPorts[i]! },
        dataDir: storeDir,
        logFile: join(logsDir, `node-${id}.log`),
        probe: () => jetstreamClusterServes(monitor, n),
      };
    });
    const urls = clientPorts.map((p, i) => `nats://${hosts[i]!}:${p}`);
    return startProcesses({
      spec,
      address: `${hosts[0]!}:${clientPorts[0]!}`,
      settings: { url: urls.join(","), replicas: String(n) },
      nodes: recipes,
      readyTimeoutMs: 60_000,
      stopGraceMs: 10_000,
    });
  },
};

/**
 * The node id whose server leads `stream`'s Raft group, asked of the first of `urls` that answers
 * (a killed or paused member does not). Throws when none answers or the stream has no leader.
 */
export async function jetstreamStreamLeader(urls: readonly string[], stream: string): Promise<string> {
  const { connect } = await import("nats");
  const why: string[] = [];
  for (const url of urls) {
    const nc = await connect({ servers: url, timeout: 2000, reconnect: false }).catch((err: Error) => {
      why.push(`${url}: ${err.message}`);
      return null;
    });
    if (nc === null) continue;
    try {
      const jsm = await nc.jetstreamManager({ timeout: 3000 });
      const leader = (await jsm.streams.info(stream)).cluster?.leader ?? "";
      const node = nodeOfServer(leader);
      if (node === null) throw new Error(`stream ${stream} has no leader (got "${leader}")`);
      return node;
    } catch (err) {
      why.push(`${url}: ${(err as Error).message}`);
    } finally {
      await nc.close().catch(() => {});
    }
  }
  throw new Error(`no leader of stream ${stream} found (${why.join("; ")})`);
}
