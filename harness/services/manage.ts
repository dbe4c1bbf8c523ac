/**
 * What `brokerbench service start|status|stop` do, as functions the runner and the tests call too:
 * start an instance of a definition (checking the machine, an instance already running, ports),
 * read every instance's state and check its pids, stop one from any invocation.
 */
import { mkdirSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { UsageError } from "../../core/errors.js";
import { HostNetwork, hostsUnavailable, removeNetwork } from "../hosts/index.js";
import { HOST_MODES, type HostMode, type ServiceDefinition, type ServiceInstance } from "./definition.js";
import { type ProcessCondition, processCondition, terminate } from "./pids.js";
import { serviceDefinition } from "./registry.js";
import {
  brokerbenchHome,
  cacheDir,
  instanceDir,
  listInstances,
  lockInstance,
  readState,
  type ServiceState,
  wipeInstance,
  writeState,
} from "./state.js";

export interface StartOptions {
  /** Instance name (default: the service's name); a private instance takes its own ("kafka-run-42"). */
  readonly instance?: string;
  /** Client port; 0: free; default: the definition's. */
  readonly port?: number;
  readonly dataDir?: string;
  readonly profile?: string;
  readonly nodes?: number;
  /** Where the nodes run (default loopback); netns needs root and `ip`, and a definition that offers it. */
  readonly hosts?: HostMode;
  /** Environment: BROKERBENCH_HOME, PATH, MAVEN_OPTS (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: (line: string) => void;
}

/** The instance already runs: nothing was started. */
export class ServiceRunningError extends Error {
  readonly state: ServiceState;
  constructor(state: ServiceState) {
    const pids = state.nodes.flatMap((n) => (n.pid === null ? [] : [n.pid])).join(", ");
    super(`${state.instance} already runs at ${state.address} (pid ${pids})`);
    this.name = "ServiceRunningError";
    this.state = state;
  }
}

const INSTANCE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

function checkOptions(def: ServiceDefinition, options: StartOptions): void {
  const { port, profile, nodes, instance } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new UsageError(`--port must be 0-65535 (got ${port})`);
  }
  if (profile !== undefined && !def.profiles.some((p) => p.name === profile)) {
    throw new UsageError(
      `${def.name} has no profile "${profile}"; profiles: ${def.profiles.map((p) => p.name).join(", ")}`,
    );
  }
  if (nodes !== undefined && !def.nodeCounts.includes(nodes)) {
    throw new UsageError(`${def.name} starts ${def.nodeCounts.join(" or ")} node(s), not ${nodes}`);
  }
  if (options.hosts !== undefined && options.hosts !== "loopback") {
    if (!HOST_MODES.includes(options.hosts)) {
      throw new UsageError(`--hosts ${options.hosts}: use ${HOST_MODES.join(" or ")}`);
    }
    if (!(def.hostModes ?? ["loopback"]).includes(options.hosts)) {
      throw new UsageError(
        `${def.name} runs its nodes on loopback only (--hosts ${options.hosts} is for clusters)`,
      );
    }
  }
  if (instance !== undefined && !INSTANCE_NAME.test(instance)) {
    throw new UsageError(`instance name "${instance}": use lowercase letters, digits, ".", "_", "-"`);
  }
}

function makeDir(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`${what} ${dir} cannot be created (${reason})`);
  }
}

/** Up, partly up, or not: the pids of a state file checked against the live processes. */
export type InstanceCondition = "running" | "paused" | "degraded" | "stopped" | "stale";

export interface NodeStatus {
  readonly id: string;
  readonly pid: number | null;
  readonly condition: ProcessCondition | "stopped";
  readonly ports: Readonly<Record<string, number>>;
  readonly dataDir: string;
  readonly logFile: string;
}

export interface InstanceStatus {
  readonly instance: string;
  readonly service: string;
  readonly profile: string;
  readonly address: string;
  readonly settings: Readonly<Record<string, string>>;
  readonly condition: InstanceCondition;
  readonly startedAt: string;
  readonly dataDir: string;
  readonly dir: string;
  readonly nodes: readonly NodeStatus[];
}

export function statusOf(state: ServiceState, dir: string): InstanceStatus {
  const nodes: NodeStatus[] = state.nodes.map((n) => ({
    id: n.id,
    pid: n.pid,
    condition: n.pid === null ? "stopped" : processCondition({ pid: n.pid, startTime: n.startTime }),
    ports: n.ports,
    dataDir: n.dataDir,
    logFile: n.logFile,
  }));
  const count = (c: NodeStatus["condition"]) => nodes.filter((n) => n.condition === c).length;
  const up = count("running") + count("paused");
  let condition: InstanceCondition;
  if (up === 0) condition = state.stoppedAt !== null ? "stopped" : "stale";
  else if (up < nodes.length) condition = "degraded";
  else condition = count("paused") > 0 ? "paused" : "running";
  return {
    instance: state.instance,
    service: state.service,
    profile: state.profile,
    address: state.address,
    settings: state.settings,
    condition,
    startedAt: state.startedAt,
    dataDir: state.dataDir,
    dir,
    nodes,
  };
}

/** Every instance under $BROKERBENCH_HOME/services with a state file. */
export function serviceStatus(env: NodeJS.ProcessEnv = process.env): InstanceStatus[] {
  const home = brokerbenchHome(env);
  const out: InstanceStatus[] = [];
  for (const name of listInstances(home)) {
    const dir = instanceDir(home, name);
    const state = readState(dir);
    if (state !== null) out.push(statusOf(state, dir));
  }
  return out;
}

function isUp(status: InstanceStatus): boolean {
  return status.condition === "running" || status.condition === "paused" || status.condition === "degraded";
}

/**
 * Starts an instance of the named service and resolves once it serves. Throws a UsageError for an
 * unknown service, a bad option, a machine that lacks something or a taken port; a
 * ServiceRunningError when the instance already runs; a ServiceStartError when it did not come up.
 */
export async function startService(name: string, options: StartOptions = {}): Promise<ServiceInstance> {
  const def = serviceDefinition(name);
  checkOptions(def, options);
  const env = options.env ?? process.env;
  const home = brokerbenchHome(env);
  const cache = cacheDir(home);
  const lacking = def.missing({ env, cacheDir: cache });
  if (lacking !== null) throw new UsageError(`cannot start ${def.name}: ${lacking}`);
  const instance = options.instance ?? def.name;
  const dir = instanceDir(home, instance);
  makeDir(dir, "BROKERBENCH_HOME: the instance directory");
  const release = lockInstance(dir, instance);
  try {
    const previous = readState(dir);
    if (previous !== null) {
      const status = statusOf(previous, dir);
      if (isUp(status)) throw new ServiceRunningError(previous);
      if (previous.service !== def.name) {
        throw new UsageError(`instance "${instance}" belongs to ${previous.service}; pick another name`);
      }
    }
    const dataDir =
      options.dataDir === undefined
        ? join(dir, "data")
        : isAbsolute(options.dataDir)
          ? options.dataDir
          : resolve(options.dataDir);
    makeDir(dataDir, options.dataDir === undefined ? "the data directory" : "--data-dir");
    const profile = options.profile ?? def.profiles[0]?.name ?? "default";
    const nodes = options.nodes ?? def.nodeCounts[0] ?? 1;
    const progress = options.progress ?? (() => {});
    let network: HostNetwork | null = null;
    if (options.hosts === "netns") {
      const unavailable = await hostsUnavailable();
      if (unavailable !== null) throw new UsageError(`--hosts netns: ${unavailable}`);
      network = await HostNetwork.create(def.hostsFor?.({ profile, nodes }) ?? nodes, { progress });
    }
    try {
      return await def.start({
        service: def.name,
        instance,
        dir,
        port: options.port ?? def.defaultPort,
        dataDir,
        profile,
        nodes,
        network,
        env,
        cacheDir: cache,
        progress,
      });
    } catch (err) {
      await network?.destroy();
      throw err;
    }
  } finally {
    release();
  }
}

export interface StopReport {
  /** What was there to stop. */
  readonly status: InstanceStatus;
  /** Per node that ran: `term` (clean) or `kill` (did not exit within the grace). */
  readonly ended: readonly { readonly id: string; readonly how: "term" | "kill" }[];
  readonly wiped: boolean;
}

/**
 * Stops an instance from any invocation (SIGTERM, SIGKILL after `graceMs`), keeping its state with
 * no pids (or, with `wipe`, removing its data, config and state). Null: there is no such instance.
 */
export async function stopService(
  instance: string,
  options: { readonly wipe?: boolean; readonly graceMs?: number; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<StopReport | null> {
  const home = brokerbenchHome(options.env ?? process.env);
  const dir = instanceDir(home, instance);
  const state = readState(dir);
  if (state === null) {
    if (options.wipe === true) wipeInstance(dir, null);
    return null;
  }
  const status = statusOf(state, dir);
  const ended = await Promise.all(
    state.nodes.flatMap((n) =>
      n.pid === null
        ? []
        : [
            terminate({ pid: n.pid, startTime: n.startTime }, options.graceMs ?? 30_000).then((how) => ({
              id: n.id,
              how,
            })),
          ],
    ),
  );
  // The namespaces die with the processes in them; a later start makes new ones.
  if (state.network !== null) await removeNetwork(state.network.id);
  if (options.wipe === true) wipeInstance(dir, state);
  else {
    writeState(dir, {
      ...state,
      network: null,
      stoppedAt: state.stoppedAt ?? new Date().toISOString(),
      nodes: state.nodes.map((n) => ({ ...n, pid: null, startTime: null })),
    });
  }
  return {
    status,
    ended: ended.flatMap((e) => (e.how === "gone" ? [] : [{ id: e.id, how: e.how }])),
    wiped: options.wipe === true,
  };
}
