/**
 * A 3-node Apache Kafka cluster as a service (`brokerbench service start kafka-cluster`): three
 * KRaft nodes on 127.0.0.1, each broker and controller, with a 3-voter static quorum (no separate
 * controller process: a fault on a node strikes its broker and its vote together, as on a small
 * production cluster); the `unclean` profile runs three brokers and a separate controller (node 4).
 * With `--hosts netns` each node runs in a network namespace of its own and binds and advertises
 * its address there, so partitions can cut members apart. Same jars as the `kafka` service; each node has its own client and
 * controller port and data directory, formatted once with one cluster id. Ready when every node
 * answers a Metadata request from this cluster listing all three brokers and an active controller.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Admin } from "@platformatic/kafka";
import type { MachineContext, ServiceDefinition, ServiceSpec } from "../definition.js";
import { ServiceStartError } from "../definition.js";
import { formattedClusterId, LOG4J2_PROPERTIES, newClusterId, storageFormatArgs } from "../kafka/config.js";
import { KAFKA_VERSION, kafkaLibs, kafkaService, runTool } from "../kafka/kafka.js";
import { classpathOf } from "../maven.js";
import { freePorts, LOOPBACK, requireFreePorts } from "../ports.js";
import { type NodeRecipe, startProcesses } from "../processes.js";
import { nodeDataDir } from "../state.js";
import {
  CLUSTER_NODES,
  clusterServerArgs,
  clusterServerProperties,
  KAFKA_CLUSTER_PROFILES,
  nodeRoles,
  quorumVoters,
} from "./config.js";

/** The client loads here, not with the service registry every `brokerbench run` imports. */
async function admin(address: string): Promise<Admin> {
  const { Admin } = await import("@platformatic/kafka");
  return new Admin({
    clientId: "brokerbench-cluster-probe",
    bootstrapBrokers: [address],
    retries: 0,
    connectTimeout: 1000,
    requestTimeout: 3000,
  });
}

/**
 * Ready: the node at `address` answers Metadata for this cluster (its id) with `brokers` brokers
 * registered and an active controller, so partitions can be placed on every node.
 */
export async function kafkaClusterServes(address: string, clusterId: string, brokers: number): Promise<void> {
  const client = await admin(address);
  try {
    const metadata = await client.metadata({ topics: [] });
    if (metadata.id !== clusterId) {
      throw new Error(`${address} is another Kafka cluster (${metadata.id}, not ${clusterId})`);
    }
    if (metadata.controllerId < 0) throw new Error(`${address} knows no active controller yet`);
    if (metadata.brokers.size < brokers) {
      throw new Error(`${address} lists ${metadata.brokers.size} of ${brokers} brokers`);
    }
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * The node id leading `topic`/`partition`, asked of the first of `addresses` that answers (a
 * killed or paused node does not). Throws when none answers or the partition has no leader.
 */
export async function kafkaPartitionLeader(
  addresses: readonly string[],
  topic: string,
  partition: number,
): Promise<number> {
  const why: string[] = [];
  for (const address of addresses) {
    const client = await admin(address);
    try {
      const metadata = await client.metadata({ topics: [topic], forceUpdate: true });
      const leader = metadata.topics.get(topic)?.partitions[partition]?.leader;
      if (leader === undefined) throw new Error(`no partition ${topic}/${partition}`);
      if (leader < 0) throw new Error(`${topic}/${partition} has no leader`);
      return leader;
    } catch (err) {
      why.push(`${address}: ${(err as Error).message}`);
    } finally {
      await client.close().catch(() => {});
    }
  }
  throw new Error(`no leader of ${topic}/${partition} found (${why.join("; ")})`);
}

export const kafkaClusterService: ServiceDefinition = {
  name: "kafka-cluster",
  description: `Apache Kafka ${KAFKA_VERSION}, 3 KRaft nodes (each broker+controller, 3-voter quorum; profile unclean: 3 brokers + 1 controller), replication factor 3`,
  adapters: ["kafka"],
  // Three client ports: free ones unless --port names the first (then the next two follow it).
  defaultPort: 0,
  profiles: KAFKA_CLUSTER_PROFILES.map(({ name, description }) => ({ name, description })),
  nodeCounts: [CLUSTER_NODES],
  hostModes: ["loopback", "netns"],
  hostsFor: ({ profile }) => nodeRoles(profile).length,

  missing(machine: MachineContext) {
    return kafkaService.missing(machine);
  },

  async start(spec: ServiceSpec) {
    const roles = nodeRoles(spec.profile);
    const n = roles.length;
    const brokers = roles.filter((r) => r !== "controller").length;
    const clientPorts =
      spec.port === 0 ? await freePorts(n) : Array.from({ length: n }, (_, i) => spec.port + i);
    await requireFreePorts(
      spec.instance,
      Object.fromEntries(clientPorts.map((p, i) => [`node ${i + 1} client`, p])),
    );
    const controllerPorts = (await freePorts(n * 2)).filter((p) => !clientPorts.includes(p)).slice(0, n);
    const libs = await kafkaLibs({ env: spec.env, progress: spec.progress });
    const classpath = classpathOf(libs);

    const configDir = join(spec.dir, "config");
    const logsDir = join(spec.dir, "logs");
    mkdirSync(configDir, { recursive: true });
    mkdirSync(logsDir, { recursive: true });
    const log4jFile = join(configDir, "log4j2.properties");
    writeFileSync(log4jFile, LOG4J2_PROPERTIES);
    // hosts: netns: node i in host i, on its own address; otherwise all on loopback.
    const hostOf = (i: number) => spec.network?.host(i + 1).address ?? LOOPBACK;
    const voters = quorumVoters(
      roles.flatMap((role, i) =>
        role.includes("controller") ? [{ id: i + 1, host: hostOf(i), port: controllerPorts[i]! }] : [],
      ),
    );

    const nodes = clientPorts.map((clientPort, i) => {
      const id = String(i + 1);
      const role = roles[i]!;
      const logDir = nodeDataDir(spec.dataDir, id);
      mkdirSync(logDir, { recursive: true });
      const propertiesFile = join(configDir, `server-${id}.properties`);
      writeFileSync(
        propertiesFile,
        clusterServerProperties({
          nodeId: i + 1,
          role,
          host: hostOf(i),
          clientPort,
          controllerPort: controllerPorts[i]!,
          voters,
          logDir,
          profile: spec.profile,
        }),
      );
      return {
        id,
        role,
        host: hostOf(i),
        clientPort,
        controllerPort: controllerPorts[i]!,
        logDir,
        propertiesFile,
      };
    });

    // One cluster id for all; a node formatted before keeps its id (they must agree).
    const ids = new Set(nodes.map((node) => formattedClusterId(node.logDir)).filter((x) => x !== null));
    if (ids.size > 1) {
      throw new ServiceStartError(
        `kafka-cluster: the nodes' data directories belong to different clusters (${[...ids].join(", ")}); stop --wipe it`,
      );
    }
    const clusterId = [...ids][0] ?? newClusterId();
    const unformatted = nodes.filter((node) => formattedClusterId(node.logDir) === null);
    if (unformatted.length > 0) {
      spec.progress(`formatting ${unformatted.length} node data directories (cluster ${clusterId})`);
      const results = await Promise.all(
        unformatted.map((node) =>
          runTool(storageFormatArgs(classpath, clusterId, node.propertiesFile), spec.env),
        ),
      );
      results.forEach(({ code, output }, i) => {
        if (code !== 0) {
          const reason = output.trim().split("\n").pop() ?? "";
          throw new ServiceStartError(
            `kafka storage format of ${unformatted[i]!.logDir} failed (exit ${code}): ${reason}`,
          );
        }
      });
    }

    const brokerNodes = nodes.filter((node) => node.role !== "controller");
    const addresses = brokerNodes.map((node) => `${node.host}:${node.clientPort}`);
    const recipes: NodeRecipe[] = nodes.map((node) => {
      const args = clusterServerArgs({
        classpath,
        log4jFile,
        logsDir,
        propertiesFile: node.propertiesFile,
        label: `${spec.instance}/${node.id}`,
      });
      const command =
        spec.network === null
          ? { command: "java", args }
          : spec.network.commandIn(Number(node.id), "java", args);
      const address = `${node.host}:${node.clientPort}`;
      return {
        id: node.id,
        ...command,
        env: spec.env,
        cwd: spec.dir,
        host: node.host,
        // The controller serves no client: no client port, so no one takes it for a member.
        ports: node.role === "controller" ? { controller: node.controllerPort } : brokerPorts(node),
        dataDir: node.logDir,
        logFile: join(logsDir, `node-${node.id}.log`),
        // The controller serves no client: it is up when a broker lists every broker (they register
        // with it, and only with it), which also holds it to its ready timeout.
        probe: () =>
          node.role === "controller"
            ? anyServes(addresses, clusterId, brokers)
            : kafkaClusterServes(address, clusterId, brokers),
      };
    });
    return startProcesses({
      spec,
      address: addresses[0]!,
      // Every broker as a bootstrap server: the client still finds the cluster with node 1 down.
      settings: { url: addresses.join(","), replicas: String(brokers) },
      nodes: recipes,
      readyTimeoutMs: 180_000,
    });
  },
};

function brokerPorts(node: { clientPort: number; controllerPort: number }): Record<string, number> {
  return { client: node.clientPort, controller: node.controllerPort };
}

async function anyServes(addresses: readonly string[], clusterId: string, brokers: number): Promise<void> {
  const why: string[] = [];
  for (const address of addresses) {
    try {
      return await kafkaClusterServes(address, clusterId, brokers);
    } catch (err) {
      why.push((err as Error).message);
    }
  }
  throw new Error(why.join("; "));
}
