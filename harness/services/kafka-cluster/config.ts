/**
 * The files of a 3-node KRaft Kafka cluster, as pure functions: in the usual topology every node is
 * broker and controller (a 3-voter static quorum, so any one node may die and the quorum still has
 * a majority); in the `separate` one (the `unclean` profile) the three nodes are brokers only and a
 * fourth process is the one controller, so that brokers can die or be cut off while the
 * controller still shrinks the ISR to the leader alone and elects (uncleanly) without it. The
 * one-node properties of ../kafka/config.ts with the replication settings a cluster needs on top,
 * and a smaller heap per JVM (three or four share this machine).
 */
import { type KafkaCommand, kafkaServerArgs, serverProperties } from "../kafka/config.js";

export const CLUSTER_NODES = 3;

/** The broker-wide replication defaults; a topic's own configs (the adapter's `topicConfigs`) win. */
export interface ReplicationProfile {
  readonly name: string;
  readonly description: string;
  readonly minInsyncReplicas: number;
  readonly uncleanLeaderElection: boolean;
  /** combined: each node broker+controller; separate: brokers 1–3 and controller node 4. */
  readonly controllers: "combined" | "separate";
}

export const KAFKA_CLUSTER_PROFILES: readonly ReplicationProfile[] = [
  {
    name: "default",
    description: "replication factor 3, min.insync.replicas=2, no unclean leader election",
    minInsyncReplicas: 2,
    uncleanLeaderElection: false,
    controllers: "combined",
  },
  {
    name: "minisr1",
    description:
      "replication factor 3, min.insync.replicas=1 (acks=all waits for the leader alone once the ISR shrinks)",
    minInsyncReplicas: 1,
    uncleanLeaderElection: false,
    controllers: "combined",
  },
  {
    name: "unclean",
    description:
      "replication factor 3, min.insync.replicas=1, unclean.leader.election.enable=true; 3 brokers and a separate controller (node 4), so the ISR can shrink to the leader alone",
    minInsyncReplicas: 1,
    uncleanLeaderElection: true,
    controllers: "separate",
  },
];

export function replicationProfile(name: string): ReplicationProfile {
  const found = KAFKA_CLUSTER_PROFILES.find((p) => p.name === name);
  if (found === undefined) throw new Error(`kafka-cluster has no profile "${name}"`);
  return found;
}

/** The id of the controller node in the `separate` topology. */
export const CONTROLLER_NODE_ID = CLUSTER_NODES + 1;

/** What a node of the cluster is: both (combined topology), a broker, or the controller. */
export type NodeRole = "broker,controller" | "broker" | "controller";

/** The roles of the cluster's processes in node order (node ids 1, 2, …). */
export function nodeRoles(profile: string): NodeRole[] {
  if (replicationProfile(profile).controllers === "combined")
    return Array(CLUSTER_NODES).fill("broker,controller");
  return [...Array<NodeRole>(CLUSTER_NODES).fill("broker"), "controller"];
}

export interface ClusterNodeConfig {
  readonly nodeId: number;
  /** Default broker,controller. */
  readonly role?: NodeRole;
  readonly host: string;
  readonly clientPort: number;
  readonly controllerPort: number;
  /** `1@host:port,2@host:port,3@host:port` (combined: every node a voter) or `4@host:port`. */
  readonly voters: string;
  readonly logDir: string;
  readonly profile: string;
}

export interface Voter {
  readonly id: number;
  readonly host: string;
  readonly port: number;
}

/** `id@host:port` of each controller. */
export function quorumVoters(voters: readonly Voter[]): string {
  return voters.map((v) => `${v.id}@${v.host}:${v.port}`).join(",");
}

/**
 * server.properties of one node: the one-node file with the cluster's replication settings in
 * place of its replication factors of 1 (a key appears once; the later value replaces the earlier).
 */
export function clusterServerProperties(c: ClusterNodeConfig): string {
  const profile = replicationProfile(c.profile);
  const base = serverProperties({ ...c, profile: "default" });
  const entries = new Map<string, string>();
  for (const line of base.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) entries.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const role = c.role ?? "broker,controller";
  if (role === "controller") return controllerProperties(c);
  const rf = String(CLUSTER_NODES);
  const minIsr = String(profile.minInsyncReplicas);
  const overrides: Record<string, string> = {
    "default.replication.factor": rf,
    "min.insync.replicas": minIsr,
    "unclean.leader.election.enable": String(profile.uncleanLeaderElection),
    "offsets.topic.replication.factor": rf,
    "transaction.state.log.replication.factor": rf,
    "transaction.state.log.min.isr": "2",
    "share.coordinator.state.topic.replication.factor": rf,
    "share.coordinator.state.topic.min.isr": "2",
    // A follower that stops fetching (killed, paused) leaves the ISR after this long (Kafka's default is 30 s).
    "replica.lag.time.max.ms": "10000",
    // A dead broker's leaderships move once its session lapses (KRaft default 9 s).
    "broker.session.timeout.ms": "6000",
    "broker.heartbeat.interval.ms": "1000",
    // No leader rebalancing mid-run: leaderships move only because of the faults.
    "auto.leader.rebalance.enable": "false",
    "num.network.threads": "2",
    "num.io.threads": "2",
    "num.replica.fetchers": "1",
  };
  if (role === "broker") {
    overrides["process.roles"] = "broker";
    overrides["listeners"] = `PLAINTEXT://${c.host}:${c.clientPort}`;
  }
  for (const [k, v] of Object.entries(overrides)) entries.set(k, v);
  return `${[...entries].map(([k, v]) => `${k}=${v}`).join("\n")}\n`;
}

/** The separate controller: the controller listener only, the same session timeouts as the brokers expect. */
function controllerProperties(c: ClusterNodeConfig): string {
  const lines: [string, string | number][] = [
    ["process.roles", "controller"],
    ["node.id", c.nodeId],
    ["controller.quorum.voters", c.voters],
    ["listeners", `CONTROLLER://${c.host}:${c.controllerPort}`],
    ["controller.listener.names", "CONTROLLER"],
    ["listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"],
    ["log.dirs", c.logDir],
    ["broker.session.timeout.ms", 6000],
    ["num.network.threads", 2],
    ["num.io.threads", 2],
  ];
  return `${lines.map(([k, v]) => `${k}=${v}`).join("\n")}\n`;
}

/** Three JVMs on one machine: a smaller heap than the single node's 256–512 MB. */
export const CLUSTER_HEAP_OPTS = ["-Xms128m", "-Xmx384m"] as const;

export function clusterServerArgs(c: KafkaCommand): string[] {
  const args = kafkaServerArgs(c).filter((a) => !/^-Xm[sx]/.test(a));
  return [...CLUSTER_HEAP_OPTS, ...args];
}
