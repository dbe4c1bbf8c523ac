/**
 * Services brokerbench starts itself (Kafka from Maven Central, later Artemis, the Pub/Sub emulator,
 * private redis-server/nats-server instances, clusters): one `ServiceDefinition` per service,
 * registered in `registry.ts`. A definition says what the machine lacks (`missing`) and starts one
 * instance (`start`); the running instance is a `ServiceInstance`, the one handle the CLI, the tests
 * and the runner's broker faults share. Most definitions build their instance with
 * `startProcesses` (processes.ts) from one `NodeRecipe` per process.
 */

import type { HostNetwork } from "../hosts/index.js";

/**
 * Where a multi-node service's nodes run: all on 127.0.0.1 (`loopback`), or each in a network
 * namespace of its own with its own address (`netns`, harness/hosts), so that the network between
 * members can be partitioned.
 */
export const HOST_MODES = ["loopback", "netns"] as const;
export type HostMode = (typeof HOST_MODES)[number];

/** A named variant of a service (persistence, say): `default` first. */
export interface ServiceProfile {
  readonly name: string;
  readonly description: string;
}

/** What the machine offers a definition when it checks for its prerequisites. */
export interface MachineContext {
  /** The environment whose PATH is searched for `java`, `mvn`, … */
  readonly env: NodeJS.ProcessEnv;
  /** $BROKERBENCH_HOME/cache: resolved jars, downloads (a cached jar set needs no `mvn`). */
  readonly cacheDir: string;
}

/** One instance to start, fully resolved by `startService` (manage.ts) before `start` sees it. */
export interface ServiceSpec extends MachineContext {
  /** The definition's name ("kafka"). */
  readonly service: string;
  /** The instance's name: its directory under $BROKERBENCH_HOME/services/ ("kafka", "kafka-run-4242"). */
  readonly instance: string;
  /** The instance's directory: state.json, logs/, config/, and data/ unless `dataDir` is elsewhere. */
  readonly dir: string;
  /** Client port of the (first) node; 0: a free port. Other ports are the definition's choice. */
  readonly port: number;
  /** Where the data goes; a multi-node service makes one sub-directory per node in it. */
  readonly dataDir: string;
  /** One of the definition's profile names. */
  readonly profile: string;
  /** How many nodes: one of the definition's `nodeCounts`. */
  readonly nodes: number;
  /**
   * `hosts: netns`: the namespaces made for it, one host per node in node order (node "1" runs in
   * host 1); the definition binds each node to its host's address and runs it there
   * (`network.commandIn`). Null: every node on 127.0.0.1.
   */
  readonly network: HostNetwork | null;
  /** Progress for the user while starting ("resolving the Kafka jars (first start only)"). */
  readonly progress: (line: string) => void;
}

export interface ServiceDefinition {
  readonly name: string;
  /** One line for `brokerbench service list`. */
  readonly description: string;
  /** Adapters this service serves (their `settings` come from the instance). */
  readonly adapters: readonly string[];
  /** Client port when none is asked for; 0: a free port each start. */
  readonly defaultPort: number;
  /** The first is the default. */
  readonly profiles: readonly ServiceProfile[];
  /** Cluster sizes it can start; [1] for a single server. */
  readonly nodeCounts: readonly number[];
  /** Where its nodes may run (HostMode); absent: loopback only. */
  readonly hostModes?: readonly HostMode[];
  /** How many hosts `hosts: netns` needs for `nodes` nodes (a separate controller is one more); default `nodes`. */
  hostsFor?(spec: { readonly profile: string; readonly nodes: number }): number;
  /** One line naming what the machine lacks to start it ("java and mvn are not on PATH"), or null. */
  missing(machine: MachineContext): string | null;
  /**
   * Starts the instance and resolves once every node serves (a real request answered, not an open
   * port). A taken port is a `UsageError`; anything else that keeps it from serving a
   * `ServiceStartError`. Nothing is left running when it rejects.
   */
  start(spec: ServiceSpec): Promise<ServiceInstance>;
}

export type NodeCondition = "running" | "paused" | "killed" | "stopped";

/** One process of a running instance, as it is now (a restart changes `pid`). */
export interface ServiceNode {
  /** "1", "2", …: what `kill(node)` and friends take. */
  readonly id: string;
  readonly pid: number | null;
  readonly condition: NodeCondition;
  /** The address it listens on: 127.0.0.1, or its namespace's address (`hosts: netns`). */
  readonly host: string;
  /** Named ports: `{ client: 9092, controller: 40123 }`. */
  readonly ports: Readonly<Record<string, number>>;
  readonly dataDir: string;
  /** The process's stdout and stderr. */
  readonly logFile: string;
}

/**
 * A running instance. Nodes are detached processes (their own session, output to their log file):
 * they outlive the process that started them, and state.json lets `brokerbench service
 * status|stop` find them from another invocation. Without `node`, an operation applies to every
 * node.
 */
export interface ServiceInstance {
  readonly service: string;
  readonly instance: string;
  readonly profile: string;
  /** Where clients connect: host:port of the first node (Kafka's bootstrap address). */
  readonly address: string;
  /** Adapter settings pointing at this instance, e.g. `{ url: "127.0.0.1:9092" }`. */
  readonly settings: Readonly<Record<string, string>>;
  readonly nodes: readonly ServiceNode[];
  /**
   * The namespaces its nodes run in (`hosts: netns`; node "<n>" in host n), which partitions cut;
   * null when every node runs on 127.0.0.1.
   */
  readonly network: HostNetwork | null;
  /** SIGKILL: no shutdown, nothing flushed beyond what the service already wrote. */
  kill(node?: string): Promise<void>;
  /** Starts killed or stopped nodes again (a running one is stopped first) on the same ports and data; resolves when serving. */
  restart(node?: string): Promise<void>;
  /** SIGSTOP: the process freezes, its connections stay open. */
  pause(node?: string): Promise<void>;
  /** SIGCONT. */
  resume(node?: string): Promise<void>;
  /** SIGTERM, then SIGKILL after a grace; `wipe` also removes the data. */
  stop(options?: { readonly wipe?: boolean }): Promise<void>;
}

/** The service did not come up (it exited, or did not serve in time): one line, with its log file. */
export class ServiceStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ServiceStartError";
  }
}
