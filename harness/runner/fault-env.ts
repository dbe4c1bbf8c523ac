/**
 * The runner's side of the fault table: FaultEnv over the run's clients, its outage state and the
 * infrastructure it started, and the scheduler's actions read from the table.
 */
import { wallMs } from "../../core/clock.js";
import {
  type BrokerControl,
  type ClusterControl,
  type ConsumerControl,
  consumerSlot,
  describeTarget,
  FAULTS,
  type FaultActions,
  type FaultEnv,
  type FaultShape,
  type FaultSpec,
  type NetworkControl,
  type Recovery,
  targetOf,
} from "../faults/index.js";
import type { RunClients } from "./clients.js";
import type { RunCluster } from "./cluster.js";
import type { RunInfrastructure } from "./infrastructure.js";
import type { Outage } from "./outage.js";

/** How long after an outage the run may take to be served again before the next fault goes ahead. */
export const RECOVERY_TIMEOUT_MS = 10_000;

/** How long the clients may take to reconnect to a cluster after its member faults. */
const CLUSTER_RECONNECT_LIMIT_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class RunFaultEnv implements FaultEnv {
  /** Producers (by index) whose acknowledgements are lost (producer-ack-loss). */
  readonly ackLoss = new Set<number>();
  private readonly clients: RunClients;
  private readonly outage: Outage;
  private readonly infrastructure: RunInfrastructure;
  private readonly shape: FaultShape;
  private readonly producing: () => boolean;
  private readonly partitions: number;
  /** The member each partition ("topic/partition") was last led by, as the cluster said. */
  private readonly lastLeaders = new Map<string, string>();
  /** Member faults under way (consumers are away while any is). */
  private memberFaults = 0;
  private readonly faultLog: (line: string) => void;
  private readonly random: () => number;
  /** Counts when the last outage began to heal: service is back when they move. */
  private healBaseline: { acked: number; delivered: Map<number, number>; healedMs: number } | null = null;

  constructor(options: {
    clients: RunClients;
    outage: Outage;
    infrastructure: RunInfrastructure;
    shape: FaultShape;
    /** Whether producing is still under way (after it, no acknowledgement can show recovery). */
    producing: () => boolean;
    /** Partitions per topic (a JetStream topic's streams are named by them). */
    partitions: number;
    /** A line for results.json's faultLog. */
    faultLog: (line: string) => void;
    /** Draws of `node:random` (seeded by the nemesis's seed when there is one); default Math.random. */
    random?: () => number;
  }) {
    this.clients = options.clients;
    this.outage = options.outage;
    this.infrastructure = options.infrastructure;
    this.shape = options.shape;
    this.producing = options.producing;
    this.partitions = options.partitions;
    this.faultLog = options.faultLog;
    this.random = options.random ?? Math.random;
  }

  consumer(target: Parameters<FaultEnv["consumer"]>[0]): ConsumerControl {
    const slot = consumerSlot(target, this.shape);
    const clients = this.clients;
    return {
      crash: () => clients.crashConsumer(slot, describeTarget(target)),
      replace: () => clients.replaceConsumer(slot),
      stall: (untilMs, slowRate) => clients.slot(slot).stall(untilMs, slowRate),
      unstall: () => clients.slot(slot).unstall(),
    };
  }

  setAckLoss(target: Parameters<FaultEnv["setAckLoss"]>[0], lost: boolean): void {
    if (lost) this.ackLoss.add(target.index);
    else this.ackLoss.delete(target.index);
  }

  broker(): BrokerControl {
    const broker = this.infrastructure.broker;
    if (broker === null) throw new Error("this run started no broker process (server: spawn)");
    return broker;
  }

  cluster(): ClusterControl {
    const cluster = this.infrastructure.cluster;
    if (cluster === null) throw new Error("this run started no cluster (server: spawn with serverCluster)");
    const { instance } = cluster;
    const topics = this.clients.topics;
    const partitions = this.partitions;
    return {
      nodes: cluster.members,
      random: this.random,
      hosts: instance.network?.hosts.length ?? null,
      partition: async (groups) => {
        if (instance.network === null)
          throw new Error(`${instance.instance} runs on loopback: no partitions`);
        await instance.network.partition(groups);
      },
      heal: async () => {
        await instance.network?.heal();
      },
      leaderOf: (topic, partition) => this.leaderOf(cluster, topics[topic]!, partition, partitions),
      kill: (node) => instance.kill(node),
      restart: (node) => instance.restart(node),
      pause: (node) => instance.pause(node),
      resume: (node) => instance.resume(node),
      note: (line) => this.faultLog(line),
      membersAway: async () => {
        if (this.memberFaults++ === 0) await this.clients.crashAll();
      },
      membersBack: async () => {
        if (--this.memberFaults === 0) await this.reconnectToCluster();
      },
    };
  }

  /**
   * The member leading the partition now, or (when the cluster names none: a JetStream stream
   * whose followers are paused has no quorum and no leader) the last member it named, said so in
   * the fault log: "kill the leader" then means the member that led it until it could not.
   */
  private async leaderOf(cluster: RunCluster, topic: string, partition: number, partitions: number) {
    const key = `${topic}/${partition}`;
    try {
      const leader = await cluster.leaderOf(topic, partition, partitions);
      this.lastLeaders.set(key, leader);
      return leader;
    } catch (err) {
      const last = this.lastLeaders.get(key);
      if (last === undefined) throw err;
      this.faultLog(`${key} has no leader now (${(err as Error).message}); node ${last} led it last`);
      return last;
    }
  }

  /**
   * After the last member fault: the clients reconnect, again and again while the cluster is still
   * electing (a group coordinator on a restarted node takes seconds), until RECONNECT_LIMIT_MS.
   */
  private async reconnectToCluster(): Promise<void> {
    const deadline = wallMs() + CLUSTER_RECONNECT_LIMIT_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.clients.reconnect();
        return;
      } catch (err) {
        if (wallMs() >= deadline) throw err;
        this.faultLog(`reconnect ${attempt} to the cluster failed: ${(err as Error).message}`);
        await sleep(1000);
      }
    }
  }

  network(): NetworkControl {
    const network = this.infrastructure.network;
    if (network === null) throw new Error("this run has no proxy in front of the broker");
    return network;
  }

  beginOutage(cut: () => Promise<void>): Promise<void> {
    return this.outage.begin(cut);
  }

  endOutage(heal: () => Promise<void>): Promise<void> {
    const m = this.clients.metrics;
    const baseline = {
      acked: m.ackedMsgs,
      delivered: new Map(this.clients.groups.map((g) => [g.index, m.deliveredTo(g.index)])),
      healedMs: 0,
    };
    this.healBaseline = baseline;
    return this.outage.end(async () => {
      await heal();
      baseline.healedMs = wallMs();
    });
  }

  async awaitService(timeoutMs: number): Promise<Recovery | null> {
    const baseline = this.healBaseline;
    this.healBaseline = null;
    if (baseline === null || baseline.healedMs === 0) return null;
    const deadline = wallMs() + timeoutMs;
    const m = this.clients.metrics;
    // The groups that have consumers now (a late group counts once it has joined).
    const groups = [...new Set(this.clients.consumers.map((c) => c.plan.group))];
    while (wallMs() < deadline && this.producing()) {
      // Served again: producing is acknowledged, and each group reads every partition again
      // (a partition still held by a dead member is not served) and has received something.
      const served =
        m.ackedMsgs > baseline.acked &&
        groups.every(
          (g) => this.clients.covers(g) && m.deliveredTo(g.index) > (baseline.delivered.get(g.index) ?? 0),
        );
      if (served) return { healedMs: baseline.healedMs, servedMs: wallMs() };
      await sleep(2);
    }
    return { healedMs: baseline.healedMs, servedMs: null };
  }
}

/** The scheduler's actions: each fault's entry of the fault table, acting on `env`. */
export function tableActions(env: FaultEnv): FaultActions {
  return {
    start: (f: FaultSpec) => FAULTS[f.kind].start(f, targetOf(f), env),
    end: (f: FaultSpec) => FAULTS[f.kind].end(f, targetOf(f), env),
    holds: (f: FaultSpec) => FAULTS[f.kind].holds(targetOf(f)),
    settle: (f: FaultSpec) => FAULTS[f.kind].settle?.(env, RECOVERY_TIMEOUT_MS),
  };
}
