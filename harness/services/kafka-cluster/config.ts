/**
 * The files of a 3-node KRaft Kafka cluster, as pure functions: every node is broker and controller
 * (a 3-voter static quorum, so any one node may die and the quorum still has a majority), the
 * one-node properties of ../kafka/config.ts with the replication settings a cluster needs on top,
 * and a smaller heap per JVM (three share this machine).
 */
import { type KafkaCommand, kafkaServerArgs, serverProperties } from "../kafka/config.js";

export const CLUSTER_NODES = 3;

/** The broker-wide replication defaults; a topic's own configs (the adapter's `topicConfigs`) win. */
export interface ReplicationProfile {
  readonly name: string;
  readonly description: string;
  readonly minInsyncReplicas: number;
  readonly uncleanLeaderElection: boolean;
}

export const KAFKA_CLUSTER_PROFILES: readonly ReplicationProfile[] = [
  {
    name: "default",
    description: "replication factor 3, min.insync.replicas=2, no unclean leader election",
    minInsyncReplicas: 2,
    uncleanLeaderElection: false,
  },
  {
    name: "minisr1",
    description:
      "replication factor 3, min.insync.replicas=1 (acks=all waits for the leader alone once the ISR shrinks)",
    minInsyncReplicas: 1,
    uncleanLeaderElection: false,
  },
  {
    name: "unclean",
    description: "replication factor 3, min.insync.replicas=1, unclean.leader.election.enable=true",
    minInsyncReplicas: 1,
    uncleanLeaderElection: true,
  },
];

export function replicationProfile(name: string): ReplicationProfile {
  const found = KAFKA_CLUSTER_PROFILES.find((p) => p.name === name);
  if (found === undefined) throw new Error(`kafka-cluster has no profile "${name}"`);
  return found;
}

export interface ClusterNodeConfig {
  readonly nodeId: number;
  readonly host: string;
  readonly clientPort: number;
  readonly controllerPort: number;
  /** `1@host:port,2@host:port,3@host:port`: every node is a voter. */
  readonly voters: string;
  readonly logDir: string;
  readonly profile: string;
}

/** `id@host:port` of each controller, in node order. */
export function quorumVoters(host: string, controllerPorts: readonly number[]): string {
  return controllerPorts.map((port, i) => `${i + 1}@${host}:${port}`).join(",");
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
  for (const [k, v] of Object.entries(overrides)) entries.set(k, v);
  return `${[...entries].map(([k, v]) => `${k}=${v}`).join("\n")}\n`;
}

/** Three JVMs on one machine: a smaller heap than the single node's 256–512 MB. */
export const CLUSTER_HEAP_OPTS = ["-Xms128m", "-Xmx384m"] as const;

export function clusterServerArgs(c: KafkaCommand): string[] {
  const args = kafkaServerArgs(c).filter((a) => !/^-Xm[sx]/.test(a));
  return [...CLUSTER_HEAP_OPTS, ...args];
}
