/**
 * What a fault strikes: the forms a fault's `target` takes (`consumer:0`, `group:g2/consumer:1`,
 * `producer:0`, `broker`), each parsed once into a typed target and checked against the
 * workload's shape here. A fault kind (kinds.ts) lists the forms it accepts.
 *
 * A broker started as a cluster (harness/services: kafka-cluster, jetstream-cluster) adds
 * `node:<n>` (a member by its id, 1-based), `node:random` (one drawn when the fault starts) and
 * `leader-of:<topic>/<partition>` (the member leading that partition when the fault starts; the
 * topic is its index in the run, 0-based) and `followers-of:<topic>/<partition>` (every other
 * member: the leader left to run alone). Which node a member target means is only known at the
 * fault's start: the cluster is asked then (cluster.ts). A partition also takes groups of member
 * numbers, `[[1],[2,3]]` (members in no group keep every link: the separate controller of Kafka's
 * unclean profile is member 4).
 */

export interface ConsumerTarget {
  readonly form: "consumer";
  /** Group name, `g1` … (a bare `consumer:N` is in g1). */
  readonly group: string;
  /** The consumer's index within its group. */
  readonly index: number;
}

export interface ProducerTarget {
  readonly form: "producer";
  readonly index: number;
}

/** The broker the run talks to (every client's connections, or the broker process). */
export interface BrokerTarget {
  readonly form: "broker";
}

/** One member of a cluster: by id, or drawn at random when the fault starts. */
export interface NodeTarget {
  readonly form: "node";
  /** 1-based member id, or "random". */
  readonly node: number | "random";
}

/** The member leading a partition of one of the run's topics when the fault starts. */
export interface LeaderTarget {
  readonly form: "leader-of";
  /** The topic's index in the run (0-based). */
  readonly topic: number;
  readonly partition: number;
}

/** Every member but the one leading the partition when the fault starts. */
export interface FollowersTarget {
  readonly form: "followers-of";
  /** The topic's index in the run (0-based). */
  readonly topic: number;
  readonly partition: number;
}

/** Cluster members cut into groups by node number (a partition). */
export interface GroupsTarget {
  readonly form: "groups";
  readonly groups: readonly (readonly number[])[];
}

export type FaultTarget =
  | GroupsTarget
  | ConsumerTarget
  | ProducerTarget
  | BrokerTarget
  | NodeTarget
  | LeaderTarget
  | FollowersTarget;
type PartitionForm = (LeaderTarget | FollowersTarget)["form"];
export type TargetFormName = FaultTarget["form"];
export type TargetOf<F extends TargetFormName> = Extract<FaultTarget, { readonly form: F }>;

/** What a target is checked against: the workload's clients and infrastructure. */
export interface FaultShape {
  /** Names of the workload's groups (`g1` … `gN`; the late group is not a fault target). */
  readonly groups: readonly string[];
  readonly consumersPerGroup: number;
  readonly producers: number;
  /** Members of the cluster the run starts, or undefined when it starts none. */
  readonly clusterNodes?: number;
  /** Its processes, members and others (a separate controller): what partition groups may name. */
  readonly clusterHosts?: number;
  /** The run's topics and partitions per topic (leader-of targets must name one). */
  readonly topics?: number;
  readonly partitions?: number;
}

interface TargetForm<F extends TargetFormName> {
  /** How to write it, for error messages. */
  readonly example: string;
  parse(text: string): TargetOf<F> | null;
  /** Why the target does not exist in a workload of this shape, or null when it does. */
  missing(target: TargetOf<F>, shape: FaultShape): string | null;
}

const CONSUMER = /^(?:group:([^/\s]+)\/)?consumer:(\d+)$/;
const PRODUCER = /^producer:(\d+)$/;
const NODE = /^node:(\d+|random)$/;
const PARTITION_MEMBER = /^(leader-of|followers-of):(\d+)\/(\d+)$/;
const NO_CLUSTER = "a cluster member target needs a cluster: server: spawn with serverCluster";

function partitionMemberForm<F extends PartitionForm>(form: F): TargetForm<F> {
  return {
    example: `${form}:0/0 (topic index/partition)`,
    parse(text) {
      const m = PARTITION_MEMBER.exec(text);
      if (m === null || m[1] !== form) return null;
      // `form` is F, so this is TargetOf<F>; TypeScript does not narrow a generic's literal.
      return { form, topic: Number(m[2]), partition: Number(m[3]) } as unknown as TargetOf<F>;
    },
    missing(target, shape) {
      const t = target as LeaderTarget | FollowersTarget;
      if (shape.clusterNodes === undefined) return NO_CLUSTER;
      if (shape.topics !== undefined && t.topic >= shape.topics) {
        return `topic ${t.topic} does not exist (topics: ${shape.topics}, 0 … ${shape.topics - 1})`;
      }
      if (shape.partitions !== undefined && t.partition >= shape.partitions) {
        return `partition ${t.partition} does not exist (partitions: ${shape.partitions}, 0 … ${shape.partitions - 1})`;
      }
      return null;
    },
  };
}

/** `[[1],[2,3]]`: two or more groups of node numbers, each number in one group. */
function parseGroups(text: string): number[][] | null {
  if (!text.startsWith("[")) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const isGroup = (g: unknown): g is number[] =>
    Array.isArray(g) && g.length > 0 && g.every((n) => Number.isInteger(n) && n >= 1);
  if (!Array.isArray(value) || value.length < 2 || !value.every(isGroup)) return null;
  const all = value.flat();
  return new Set(all).size === all.length ? value : null;
}

export const TARGET_FORMS: { readonly [F in TargetFormName]: TargetForm<F> } = {
  groups: {
    example: "[[1],[2,3]] (groups of node numbers, each in one group)",
    parse(text) {
      const groups = parseGroups(text.replaceAll(" ", ""));
      return groups === null ? null : { form: "groups", groups };
    },
    missing(t, shape) {
      if (shape.clusterNodes === undefined) return NO_CLUSTER;
      const hosts = shape.clusterHosts ?? shape.clusterNodes;
      const absent = t.groups.flat().find((n) => n > hosts);
      return absent === undefined ? null : `node ${absent} does not exist (nodes 1 … ${hosts})`;
    },
  },
  consumer: {
    example: "consumer:0 or group:g1/consumer:1",
    parse(text) {
      const m = CONSUMER.exec(text);
      return m === null ? null : { form: "consumer", group: m[1] ?? "g1", index: Number(m[2]) };
    },
    missing(t, shape) {
      if (!shape.groups.includes(t.group))
        return `no group "${t.group}" (groups: ${shape.groups.join(", ")})`;
      if (t.index >= shape.consumersPerGroup) {
        return (
          `consumer:${t.index} does not exist (consumersPerGroup ${shape.consumersPerGroup}: ` +
          `consumer:0 … consumer:${shape.consumersPerGroup - 1})`
        );
      }
      return null;
    },
  },
  producer: {
    example: "producer:0",
    parse(text) {
      const m = PRODUCER.exec(text);
      return m === null ? null : { form: "producer", index: Number(m[1]) };
    },
    missing(t, shape) {
      if (t.index < shape.producers) return null;
      return `producer:${t.index} does not exist (${shape.producers} producer(s): producer:0 … producer:${shape.producers - 1})`;
    },
  },
  broker: {
    example: "broker",
    parse: (text) => (text === "broker" ? { form: "broker" } : null),
    missing: () => null,
  },
  node: {
    example: "node:2 or node:random",
    parse(text) {
      const m = NODE.exec(text);
      if (m === null) return null;
      return { form: "node", node: m[1] === "random" ? "random" : Number(m[1]) };
    },
    missing(t, shape) {
      if (shape.clusterNodes === undefined) return NO_CLUSTER;
      if (t.node === "random" || (t.node >= 1 && t.node <= shape.clusterNodes)) return null;
      return `node:${t.node} does not exist (${shape.clusterNodes} members: node:1 … node:${shape.clusterNodes})`;
    },
  },
  "leader-of": partitionMemberForm("leader-of"),
  "followers-of": partitionMemberForm("followers-of"),
};

/** The target `text` stands for among `forms`, or null when it is none of them. */
export function parseTarget(text: string, forms: readonly TargetFormName[]): FaultTarget | null {
  for (const form of forms) {
    const t = TARGET_FORMS[form].parse(text);
    if (t !== null) return t;
  }
  return null;
}

/** Why a parsed target does not exist in the workload, or null. */
export function missingTarget(target: FaultTarget, shape: FaultShape): string | null {
  // Each form checks its own kind of target; the cast only restates what `form` already says.
  const form = TARGET_FORMS[target.form] as TargetForm<TargetFormName>;
  return form.missing(target as TargetOf<TargetFormName>, shape);
}

/** How a fault kind's targets are written, for error messages. */
export function targetExamples(forms: readonly TargetFormName[]): string {
  return forms.map((f) => TARGET_FORMS[f].example).join(" or ");
}

/** Index of a consumer slot in the run (groups in order, their consumers in order). */
export function consumerSlot(t: ConsumerTarget, shape: FaultShape): number {
  const group = shape.groups.indexOf(t.group);
  if (group < 0 || t.index >= shape.consumersPerGroup) throw new Error(`no consumer ${describeTarget(t)}`);
  return group * shape.consumersPerGroup + t.index;
}

export function describeTarget(t: FaultTarget): string {
  switch (t.form) {
    case "groups":
      return JSON.stringify(t.groups);
    case "consumer":
      return `group:${t.group}/consumer:${t.index}`;
    case "producer":
      return `producer:${t.index}`;
    case "broker":
      return "broker";
    case "node":
      return `node:${t.node}`;
    case "leader-of":
    case "followers-of":
      return `${t.form}:${t.topic}/${t.partition}`;
  }
}
