/**
 * Faults on one member of a cluster the run started (kafka-cluster, jetstream-cluster): the
 * interface the runner implements over the cluster's service instance, and how a member target
 * (`node:<n>`, `node:random`, `leader-of:<topic>/<partition>`, `followers-of:<topic>/<partition>`)
 * becomes node ids when the fault starts. The node a fault struck is remembered for its end: by then the partition has another
 * leader, and the end must restart or resume the member the start killed or paused.
 */
import type { FaultEnv } from "./env.js";
import type { FaultSpec } from "./kinds.js";
import type { FollowersTarget, GroupsTarget, LeaderTarget, NodeTarget } from "./targets.js";
import { describeTarget } from "./targets.js";

export type MemberTarget = NodeTarget | LeaderTarget | FollowersTarget;

/** The cluster as faults see it; node ids are the service's ("1", "2", "3"). */
export interface ClusterControl {
  /** The members that serve clients (a separate controller is not one). */
  readonly nodes: readonly string[];
  /** Draws `node:random` (seeded by the run's nemesis seed when it has one). */
  random(): number;
  /** The member leading partition `partition` of the run's topic `topic` (its index), asked of the cluster now. */
  leaderOf(topic: number, partition: number): Promise<string>;
  /** SIGKILL; resolves once it is gone. */
  kill(node: string): Promise<void>;
  /** Starts it again on its ports and data directory; resolves when it serves. */
  restart(node: string): Promise<void>;
  /** SIGSTOP: frozen, its connections open (a long GC pause, a stalled VM). */
  pause(node: string): Promise<void>;
  /** SIGCONT. */
  resume(node: string): Promise<void>;
  /**
   * How many hosts (network namespaces) the cluster's processes run in, host n being node n, or
   * null when they share 127.0.0.1 and cannot be partitioned.
   */
  readonly hosts: number | null;
  /** Cuts the hosts into `groups` (node numbers; a host in no group keeps every link). */
  partition(groups: readonly (readonly number[])[]): Promise<void>;
  /** Every host reaches every other again. */
  heal(): Promise<void>;
  /** A line for the run's fault log. */
  note(line: string): void;
  /**
   * Before a member fault strikes: the run's consumers stop (a client library may give up for good
   * on a cluster without a coordinator for a while, Kafka's after 21 failed JoinGroups).
   * Producers go on: the writes during the fault are the point.
   */
  membersAway(): Promise<void>;
  /** After a member fault: once no other is active, the run's clients reconnect (new processes). */
  membersBack(): Promise<void>;
}

async function membersOf(t: MemberTarget, cluster: ClusterControl, random: () => number): Promise<string[]> {
  if (t.form === "leader-of") return [await cluster.leaderOf(t.topic, t.partition)];
  if (t.form === "followers-of") {
    const leader = await cluster.leaderOf(t.topic, t.partition);
    return cluster.nodes.filter((n) => n !== leader);
  }
  if (t.node !== "random") return [String(t.node)];
  return [cluster.nodes[Math.floor(random() * cluster.nodes.length)]!];
}

/** What a member fault does to the node at its start and its end. */
export interface MemberAction {
  readonly verb: string;
  start(cluster: ClusterControl, node: string): Promise<void>;
  end(cluster: ClusterControl, node: string): Promise<void>;
}

export const CRASH: MemberAction = {
  verb: "killed",
  start: (c, node) => c.kill(node),
  end: (c, node) => c.restart(node),
};

export const PAUSE: MemberAction = {
  verb: "paused",
  start: (c, node) => c.pause(node),
  end: (c, node) => c.resume(node),
};

/** The nodes each running member fault struck (the fault object is the scheduler's, start to end). */
const struck = new WeakMap<FaultSpec, readonly string[]>();

export async function startMemberFault(
  action: MemberAction,
  f: FaultSpec,
  t: MemberTarget,
  env: FaultEnv,
): Promise<void> {
  const cluster = env.cluster();
  const random = () => cluster.random();
  // Counted before the target is resolved (asking a cluster with paused members takes seconds):
  // a fault ending meanwhile must not bring the clients back under this one.
  const away = cluster.membersAway();
  let nodes: string[];
  try {
    nodes = await membersOf(t, cluster, random);
  } catch (err) {
    await away;
    await cluster.membersBack();
    throw err;
  }
  struck.set(f, nodes);
  cluster.note(`${f.kind} ${describeTarget(t)}: node ${nodes.join(", ")} ${action.verb}`);
  await away;
  for (const node of nodes) await action.start(cluster, node);
}

export async function endMemberFault(action: MemberAction, f: FaultSpec, env: FaultEnv): Promise<void> {
  const nodes = struck.get(f);
  if (nodes === undefined) return;
  struck.delete(f);
  const cluster = env.cluster();
  try {
    await Promise.all(nodes.map((node) => action.end(cluster, node)));
  } finally {
    await cluster.membersBack();
  }
}

export type PartitionTarget = GroupsTarget | MemberTarget;

/**
 * The groups a partition target means now: the groups as written, or the members a role or node
 * target names (asked of the cluster) alone against every other host of the cluster.
 */
async function groupsOf(
  t: PartitionTarget,
  cluster: ClusterControl,
  random: () => number,
): Promise<number[][]> {
  if (t.form === "groups") return t.groups.map((g) => [...g]);
  const cut = (await membersOf(t, cluster, random)).map(Number);
  const all = Array.from({ length: cluster.hosts ?? 0 }, (_, i) => i + 1);
  return [cut, all.filter((h) => !cut.includes(h))];
}

/** The groups each running partition drew (for the fault log's end line). */
const drawn = new WeakMap<FaultSpec, readonly (readonly number[])[]>();

/**
 * A partition between cluster members: the clients (in the root namespace) keep reaching every
 * member; the members stop reaching each other across groups. The run's consumers step away as for
 * a member fault (a group coordinator cut off from its group's partitions stalls a client library).
 */
export async function startPartition(f: FaultSpec, t: PartitionTarget, env: FaultEnv): Promise<void> {
  const cluster = env.cluster();
  const random = () => cluster.random();
  if (cluster.hosts === null) {
    throw new Error("partition: the cluster's members share 127.0.0.1; start it with serverHosts: netns");
  }
  const away = cluster.membersAway();
  let groups: number[][];
  try {
    groups = await groupsOf(t, cluster, random);
  } catch (err) {
    await away;
    await cluster.membersBack();
    throw err;
  }
  drawn.set(f, groups);
  cluster.note(
    `${f.kind} ${describeTarget(t)}: nodes ${groups.map((g) => g.join(",")).join(" | ")} cut apart`,
  );
  await away;
  await cluster.partition(groups);
}

export async function endPartition(f: FaultSpec, env: FaultEnv): Promise<void> {
  if (!drawn.has(f)) return;
  drawn.delete(f);
  const cluster = env.cluster();
  try {
    await cluster.heal();
    cluster.note(`${f.kind} healed`);
  } finally {
    await cluster.membersBack();
  }
}

/** One member fault at a time per target text: a second kill of the same node waits. */
export function memberResource(t: MemberTarget): string {
  return `member:${describeTarget(t)}`;
}
