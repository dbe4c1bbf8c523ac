/**
 * Where services live on disk, and the state file that lets another invocation find them:
 *
 *   $BROKERBENCH_HOME (default ~/.brokerbench)
 *     cache/                       resolved jars and downloads, shared by every instance
 *     services/<instance>/
 *       state.json                 what runs (pids with start times, ports, data, logs, settings)
 *       data/                      node data (unless --data-dir): node-<id>/ per node
 *       logs/                      one file per node: its stdout and stderr
 *       config/                    files the definition generated (server.properties, …)
 *
 * state.json is rewritten (atomically) on every change: start, kill, restart, stop. After a stop
 * it stays with no pids, so `status` can say where the kept data is, until `stop --wipe`.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { UsageError } from "../../core/errors.js";
import { processCondition, processStartTime } from "./pids.js";

export function brokerbenchHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.BROKERBENCH_HOME;
  return home !== undefined && home !== "" ? home : join(homedir(), ".brokerbench");
}

export function servicesRoot(home: string): string {
  return join(home, "services");
}

export function instanceDir(home: string, instance: string): string {
  return join(servicesRoot(home), instance);
}

export function cacheDir(home: string): string {
  return join(home, "cache");
}

const nodeState = z.object({
  id: z.string(),
  pid: z.number().int().nullable(),
  startTime: z.string().nullable(),
  /** The address it listens on (absent in files written before `hosts: netns`). */
  host: z.string().default("127.0.0.1"),
  ports: z.record(z.string(), z.number().int()),
  dataDir: z.string(),
  logFile: z.string(),
});

const serviceState = z.object({
  version: z.literal(1),
  service: z.string(),
  instance: z.string(),
  profile: z.string(),
  address: z.string(),
  settings: z.record(z.string(), z.string()),
  /** ISO time of the last start. */
  startedAt: z.string(),
  /** ISO time of the clean stop; null while it should be running. */
  stoppedAt: z.string().nullable(),
  /** The data directory the instance was started with (node data dirs lie in it). */
  dataDir: z.string(),
  nodes: z.array(nodeState),
  /** `hosts: netns`: the network of namespaces the nodes run in, removed when the instance stops. */
  network: z
    .object({ id: z.string(), subnetOctet: z.number().int(), hosts: z.number().int() })
    .nullable()
    .default(null),
});

export type NodeState = z.infer<typeof nodeState>;
export type ServiceState = z.infer<typeof serviceState>;

const STATE_FILE = "state.json";

export function statePath(dir: string): string {
  return join(dir, STATE_FILE);
}

/** The instance's state, or null when it has none. A damaged file is named in one line. */
export function readState(dir: string): ServiceState | null {
  let text: string;
  try {
    text = readFileSync(statePath(dir), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${statePath(dir)}: not JSON (remove it if nothing of this instance runs)`);
  }
  const parsed = serviceState.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `${statePath(dir)}: field "${issue?.path.join(".") ?? "?"}": ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

export function writeState(dir: string, state: ServiceState): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${STATE_FILE}.${process.pid}`);
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, statePath(dir));
}

export function removeState(dir: string): void {
  rmSync(statePath(dir), { force: true });
}

/** Every instance with a state file under $BROKERBENCH_HOME/services, by name. */
export function listInstances(home: string): string[] {
  let names: string[];
  try {
    names = readdirSync(servicesRoot(home));
  } catch {
    return [];
  }
  return names.filter((n) => !n.startsWith(".")).sort();
}

/** A node's data directory inside the instance's data directory. */
export function nodeDataDir(dataDir: string, nodeId: string): string {
  return join(dataDir, `node-${nodeId}`);
}

/**
 * `--wipe`: removes the nodes' data directories, the data directory itself if that leaves it empty
 * (a user's --data-dir is never removed with anything else in it), the generated config and the
 * state file. The logs stay.
 */
export function wipeInstance(dir: string, state: ServiceState | null): void {
  const dataDirs = new Set([join(dir, "data")]);
  if (state !== null) dataDirs.add(state.dataDir);
  for (const node of state?.nodes ?? []) rmSync(node.dataDir, { recursive: true, force: true });
  for (const d of dataDirs) {
    if (d === join(dir, "data")) rmSync(d, { recursive: true, force: true });
    else {
      try {
        rmdirSync(d);
      } catch {}
    }
  }
  rmSync(join(dir, "config"), { recursive: true, force: true });
  removeState(dir);
}

/**
 * Held while an instance starts, so two invocations starting the same instance at once cannot
 * both launch it and overwrite each other's state file. A lock whose owner is gone is taken over.
 * Returns the release.
 */
export function lockInstance(dir: string, instance: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, "start.lock");
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, `${process.pid} ${processStartTime(process.pid) ?? ""}\n`);
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
    }
    const [pid, startTime] = readFileSync(lock, "utf8").trim().split(" ");
    const owner = { pid: Number(pid), startTime: startTime || null };
    if (Number.isInteger(owner.pid) && owner.pid > 0 && processCondition(owner) !== "gone") {
      throw new UsageError(
        `${instance} is being started by pid ${owner.pid}; wait for it, or stop that process`,
      );
    }
    rmSync(lock, { force: true });
  }
}
