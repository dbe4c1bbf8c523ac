/**
 * The cluster a run starts for its faults (workload `server: spawn` with `serverCluster:
 * kafka-cluster|jetstream-cluster`): a private instance of the service on free ports under
 * $BROKERBENCH_HOME, the adapter's settings pointed at all its members, stopped and removed with
 * its data after the run. It answers which member leads a partition the way each broker tells it:
 * Kafka's Metadata (partition leader id), JetStream's stream info (the stream's Raft leader).
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { partitionsOf } from "../../adapters/jetstream/streams.js";
import { type HostMode, type ServiceInstance, startService } from "../services/index.js";
import { jetstreamStreamLeader } from "../services/jetstream-cluster/jetstream-cluster.js";
import { kafkaPartitionLeader } from "../services/kafka-cluster/kafka-cluster.js";
import { brokerbenchHome, instanceDir } from "../services/state.js";

/** The cluster services a run can start, and how each finds a partition's leader. */
const LEADERS = {
  "kafka-cluster": async (clientUrls: readonly string[], topic: string, partition: number) =>
    String(await kafkaPartitionLeader(clientUrls, topic, partition)),
  "jetstream-cluster": (
    clientUrls: readonly string[],
    topic: string,
    partition: number,
    partitions: number,
  ) =>
    jetstreamStreamLeader(
      clientUrls.map((a) => `nats://${a}`),
      partitionsOf(topic, partitions)[partition]!.stream,
    ),
} as const;

export const CLUSTER_SERVICES = Object.keys(LEADERS) as (keyof typeof LEADERS)[];
export type ClusterService = (typeof CLUSTER_SERVICES)[number];

export class RunCluster {
  readonly instance: ServiceInstance;
  private readonly service: ClusterService;
  private readonly env: NodeJS.ProcessEnv;

  private constructor(service: ClusterService, instance: ServiceInstance, env: NodeJS.ProcessEnv) {
    this.service = service;
    this.instance = instance;
    this.env = env;
  }

  static async start(
    service: ClusterService,
    options: { readonly profile?: string; readonly hosts?: HostMode } = {},
    env: NodeJS.ProcessEnv = process.env,
  ): Promise<RunCluster> {
    const name = `${service}-run-${randomBytes(3).toString("hex")}`;
    const instance = await startService(service, { instance: name, port: 0, env, ...options });
    return new RunCluster(service, instance, env);
  }

  /** The members that serve clients (node ids): a separate controller is none of them. */
  get members(): string[] {
    return this.instance.nodes.filter((n) => n.ports["client"] !== undefined).map((n) => n.id);
  }

  /** Adapter settings pointing at every member (url, replicas). */
  get settings(): Readonly<Record<string, string>> {
    return this.instance.settings;
  }

  /** The member (service node id) leading `partition` of `topic` (its name on the broker). */
  leaderOf(topic: string, partition: number, partitions: number): Promise<string> {
    const urls = this.instance.nodes.flatMap((n) =>
      n.ports["client"] === undefined ? [] : [`${n.host}:${n.ports["client"]}`],
    );
    return LEADERS[this.service](urls, topic, partition, partitions);
  }

  /** Stops every member and removes the instance: data, config, state and logs. */
  async stop(): Promise<void> {
    await this.instance.stop({ wipe: true });
    rmSync(instanceDir(brokerbenchHome(this.env), this.instance.instance), { recursive: true, force: true });
  }
}
