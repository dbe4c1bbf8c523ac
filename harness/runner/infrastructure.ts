/**
 * What a run starts besides the adapter's clients, for its faults: its own broker (`server:
 * spawn`: the reference broker as a child process, or for any other adapter a private instance of
 * the service that serves it, with the workload's `serverProfile`), and the fault proxy in front of
 * the broker when a fault needs one (the fault table's `needs`). Started in setup, stopped in
 * teardown (also after an error or a Ctrl-C); faults reach it through the BrokerControl and
 * NetworkControl interfaces.
 */
import type { AdapterFactory, AdapterSettings } from "../../adapters/contract.js";
import {
  type BrokerControl,
  type FlushPolicy,
  faultsNeed,
  type NetworkControl,
  ServiceBroker,
  SpawnedBroker,
} from "../faults/index.js";
import { FaultProxy } from "../proxy/index.js";
import type { Workload } from "../workload/index.js";
import type { RunCluster } from "./cluster.js";

/**
 * The broker's host:port inside an adapter's url setting (`nats://h:4222`, `amqp://u:p@h:5672/vh`,
 * `h:9092`), and how to write the url with another address in its place; null when it has none.
 */
export function brokerAddress(url: string): {
  target: { host: string; port: number };
  rewrite: (a: { host: string; port: number }) => string;
} | null {
  const m = /^([a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?)?(\[[^\]]+\]|[^:/@,\s]+):(\d{1,5})(.*)$/i.exec(url.trim());
  if (m === null) return null;
  const prefix = m[1] ?? "";
  const rest = m[4] ?? "";
  return {
    target: { host: m[2]!.replace(/^\[|\]$/g, ""), port: Number(m[3]) },
    rewrite: (a) => `${prefix}${a.host}:${a.port}${rest}`,
  };
}

/** The reference broker's --flush for a profile: as its service (harness/services/reference) names them. */
const REFERENCE_FLUSH: Readonly<Record<string, FlushPolicy>> = { default: "interval", durable: "always" };

/** The broker a run starts for itself: either kind is killed, restarted and stopped alike. */
type RunServer = (SpawnedBroker | ServiceBroker) & { stop(): Promise<void> };

/**
 * The adapter's settings pointed at a private instance: its url, and whatever its profile fixes
 * (a queue type, a stream storage), over the workload's and the command line's (a run that says
 * it is durable is). Only settings the adapter declares: a service serving two adapters may name
 * settings only one of them has.
 */
export function settingsForInstance(
  factory: AdapterFactory,
  settings: AdapterSettings,
  instance: Readonly<Record<string, string>>,
): AdapterSettings {
  const own = Object.entries(instance).filter(([key]) => key in factory.settings);
  return { ...settings, ...Object.fromEntries(own) };
}

async function startServer(w: Workload, factory: AdapterFactory): Promise<RunServer> {
  if (factory.name === "reference") {
    const flush = w.serverProfile === null ? w.serverFlush : REFERENCE_FLUSH[w.serverProfile];
    if (flush === undefined) {
      throw new Error(
        `server: spawn: the reference broker has no profile "${w.serverProfile}" (profiles: default, durable)`,
      );
    }
    return SpawnedBroker.start(flush);
  }
  return ServiceBroker.start(factory.name, w.serverProfile ?? "default");
}

export class RunInfrastructure {
  /** The adapter's settings pointed at what was started (the spawned broker, through the proxy). */
  readonly settings: AdapterSettings;
  private readonly server: RunServer | null;
  private readonly proxy: FaultProxy | null;
  /** The cluster the run started (`serverCluster`), or null. */
  readonly cluster: RunCluster | null;

  private constructor(
    settings: AdapterSettings,
    server: RunServer | null,
    proxy: FaultProxy | null,
    cluster: RunCluster | null = null,
  ) {
    this.settings = settings;
    this.server = server;
    this.proxy = proxy;
    this.cluster = cluster;
  }

  /** Starts what the workload needs; on failure stops what it had started and throws. */
  static async start(
    w: Workload,
    factory: AdapterFactory,
    settings: AdapterSettings,
  ): Promise<RunInfrastructure> {
    let server: RunServer | null = null;
    let proxy: FaultProxy | null = null;
    let cluster: RunCluster | null = null;
    try {
      if (w.server === "spawn" && w.serverCluster !== "none") {
        // Loaded only here: the cluster services bring their client libraries.
        const { RunCluster } = await import("./cluster.js");
        cluster = await RunCluster.start(w.serverCluster, {
          hosts: w.serverHosts,
          ...(w.serverProfile === null ? {} : { profile: w.serverProfile }),
        });
        // The run's own settings (acks, topicConfigs, replicas) win; the addresses are the cluster's.
        const url = cluster.settings["url"]!;
        settings = { ...cluster.settings, ...settings, url };
      } else if (w.server === "spawn") {
        server = await startServer(w, factory);
        settings =
          server instanceof SpawnedBroker
            ? { ...settings, url: server.address }
            : settingsForInstance(factory, settings, server.settings);
      }
      if (faultsNeed(w.faults, "proxy")) {
        const url = settings["url"] || factory.settings["url"]?.default || "";
        const at = brokerAddress(url);
        if (at === null) {
          throw new Error(
            `network faults need a broker over TCP with an address host:port in its url setting (got "${url}"); ` +
              "set --set url=... or, for the reference broker, server: spawn",
          );
        }
        proxy = await FaultProxy.start(at.target);
        settings = { ...settings, url: at.rewrite(proxy.address) };
      }
    } catch (err) {
      await new RunInfrastructure(settings, server, proxy, cluster).stop();
      throw err;
    }
    return new RunInfrastructure(settings, server, proxy, cluster);
  }

  /** The broker the run started (`server: spawn`; a cluster: all its members at once), or null. */
  get broker(): BrokerControl | null {
    const instance = this.cluster?.instance;
    if (instance !== undefined) return { kill: () => instance.kill(), restart: () => instance.restart() };
    return this.server;
  }

  /** The proxy in front of the broker, or null. */
  get network(): NetworkControl | null {
    return this.proxy;
  }

  async stop(): Promise<void> {
    await this.proxy?.close().catch(() => {});
    await this.server?.stop().catch(() => {});
    await this.cluster?.stop().catch(() => {});
  }
}
