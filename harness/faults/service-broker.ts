/**
 * A private broker for one run (workload `server: spawn` on any adapter a service serves): a
 * `harness/services` instance on free ports, under its own instance name, in the machine's
 * BROKERBENCH_HOME, with the run's persistence profile. A broker-crash SIGKILLs it (`kill()`) and
 * restarts it on the same ports and data directory (`restart()`, resolving once it serves again).
 * After the run it is stopped and its whole instance directory (data, config, logs) removed.
 *
 * Its nodes are detached processes (they outlive a crashed CLI so `brokerbench service status`
 * can find them), so this process also keeps a list of the live ones: on its exit (a second
 * Ctrl-C, process.exit on an error, SIGTERM, SIGHUP) each is SIGKILLed and its directory removed
 * synchronously. Only a SIGKILL of the CLI itself leaves one behind; `service status` lists it (`<service>-run-…`)
 * and `service stop <instance> --wipe` ends it.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import type { ServiceInstance } from "../services/definition.js";
import { startService } from "../services/manage.js";
import { SERVICES, serviceDefinition } from "../services/registry.js";
import { brokerbenchHome, cacheDir, instanceDir } from "../services/state.js";
import type { BrokerControl } from "./env.js";

/**
 * The single-node service that starts brokers for an adapter, or null (the reference broker has its
 * own path). Clusters serve the same adapters but are asked for by name (`serverCluster`): picking
 * one here gave `server: spawn` runs of nats and jetstream a 3-node cluster without their profiles.
 */
export function serviceFor(adapter: string): string | null {
  return (
    SERVICES.find((s) => s.name !== "reference" && s.nodeCounts.includes(1) && s.adapters.includes(adapter))
      ?.name ?? null
  );
}

/**
 * Why a run of `adapter` cannot start its own broker with `profile` here (no service, no such
 * profile, the machine lacks a program), or null when it can.
 */
export function privateBrokerProblem(
  adapter: string,
  profile: string,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const name = serviceFor(adapter);
  if (name === null) return `no service starts a ${adapter} broker`;
  const def = serviceDefinition(name);
  if (!def.profiles.some((p) => p.name === profile)) {
    return `the ${name} service has no profile "${profile}" (profiles: ${def.profiles.map((p) => p.name).join(", ")})`;
  }
  const lacking = def.missing({ env, cacheDir: cacheDir(brokerbenchHome(env)) });
  return lacking === null ? null : `cannot start ${name} here: ${lacking}`;
}

/** Instances this process started and has not stopped yet: ended on exit. */
const live = new Map<string, { instance: ServiceInstance; dir: string }>();
let exitHooked = false;

function killOnExit(): void {
  for (const { instance, dir } of live.values()) {
    for (const node of instance.nodes) {
      if (node.pid === null) continue;
      try {
        process.kill(-node.pid, "SIGKILL");
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

export class ServiceBroker implements BrokerControl {
  private constructor(
    readonly instance: ServiceInstance,
    /** The instance's directory: removed, logs and all, by `stop`. */
    readonly dir: string,
  ) {}

  /** Starts a private instance of the adapter's service; resolves once it serves. */
  static async start(
    adapter: string,
    profile: string,
    env: NodeJS.ProcessEnv = process.env,
  ): Promise<ServiceBroker> {
    const problem = privateBrokerProblem(adapter, profile, env);
    if (problem !== null) throw new Error(`server: spawn: ${problem}`);
    const service = serviceFor(adapter)!;
    const name = `${service}-run-${process.pid}-${randomBytes(3).toString("hex")}`;
    const dir = instanceDir(brokerbenchHome(env), name);
    if (!exitHooked) {
      process.once("exit", killOnExit);
      // Ended by a signal that Node does not turn into an exit: the brokers go first, then the
      // signal is raised again (no listener left) for its usual effect.
      for (const signal of ["SIGTERM", "SIGHUP"] as const) {
        process.once(signal, () => {
          killOnExit();
          process.kill(process.pid, signal);
        });
      }
      exitHooked = true;
    }
    try {
      const instance = await startService(service, { instance: name, port: 0, profile, env });
      live.set(name, { instance, dir });
      return new ServiceBroker(instance, dir);
    } catch (err) {
      // A failed start leaves no process (the framework kills them); its directory goes too.
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Adapter settings pointing at this instance (its url and what its profile fixes). */
  get settings(): Readonly<Record<string, string>> {
    return this.instance.settings;
  }

  kill(): Promise<void> {
    return this.instance.kill();
  }

  restart(): Promise<void> {
    return this.instance.restart();
  }

  /** Stops it (SIGTERM, SIGKILL after its grace) and removes its directory. */
  async stop(): Promise<void> {
    try {
      await this.instance.stop({ wipe: true });
    } finally {
      live.delete(this.instance.instance);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
