/**
 * The ServiceInstance of services made of local processes, one `NodeRecipe` per node: how to run
 * it and how to tell that it serves. Nodes run detached (own session, stdio appended to their log
 * file), so they outlive the CLI that started them; every change is written to state.json at once
 * (pids right after launch, before readiness), so an interrupted start can still be stopped.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { HostNetwork } from "../hosts/index.js";
import type { NodeCondition, ServiceInstance, ServiceNode, ServiceSpec } from "./definition.js";
import { ServiceStartError } from "./definition.js";
import {
  type ProcessIdentity,
  processCondition,
  processStartTime,
  signalProcess,
  terminate,
  waitGone,
} from "./pids.js";
import { LOOPBACK } from "./ports.js";
import { type ServiceState, wipeInstance, writeState } from "./state.js";

export interface NodeRecipe {
  /** "1", "2", … */
  readonly id: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The whole environment of the process. */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The address it listens on; default 127.0.0.1. */
  readonly host?: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly dataDir: string;
  readonly logFile: string;
  /**
   * Resolves when the node serves a real request; rejects, saying why not, while it does not.
   * Called every 250 ms until it resolves (each call should give up within a few seconds).
   */
  probe(): Promise<void>;
}

export interface ProcessServiceOptions {
  readonly spec: ServiceSpec;
  readonly address: string;
  readonly settings: Readonly<Record<string, string>>;
  readonly nodes: readonly NodeRecipe[];
  /** Longest wait for a node to serve, at start and at restart. */
  readonly readyTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL when stopping. */
  readonly stopGraceMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 120_000;
const DEFAULT_STOP_GRACE_MS = 30_000;
const PROBE_INTERVAL_MS = 250;
const LOG_TAIL_BYTES = 64 * 1024;
const LAUNCH_MARK = "=== brokerbench: launching ";

interface LiveNode {
  readonly recipe: NodeRecipe;
  process: ProcessIdentity | null;
  condition: NodeCondition;
  /** Our child, while this invocation started it (gives the exit code). */
  child: ChildProcess | null;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits (up to 5 s) until /proc shows the process in `condition`, or it is gone. */
async function waitCondition(p: ProcessIdentity, condition: "paused" | "running"): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const now = processCondition(p);
    if (now === condition || now === "gone" || Date.now() >= deadline) return;
    await sleep(10);
  }
}

function exitOf(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The last line of this launch's output that looks like the reason it failed. */
export function lastErrorLine(logFile: string): string | null {
  let text: string;
  try {
    const all = readFileSync(logFile);
    text = all.subarray(Math.max(0, all.length - LOG_TAIL_BYTES)).toString("utf8");
  } catch {
    return null;
  }
  const launch = text.lastIndexOf(LAUNCH_MARK);
  const lines = (launch >= 0 ? text.slice(launch) : text).split("\n").slice(1);
  const errors = lines.filter(
    (l) => /(Exception|Error)(:|\s|$)|\bERROR\b|\bFATAL\b/.test(l) && !/^\s+at /.test(l),
  );
  const line = (errors[errors.length - 1] ?? lines.filter((l) => l.trim() !== "").pop())?.trim();
  return line === undefined ? null : line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

export class ProcessService implements ServiceInstance {
  readonly service: string;
  readonly instance: string;
  readonly profile: string;
  readonly address: string;
  readonly settings: Readonly<Record<string, string>>;
  readonly network: HostNetwork | null;
  private readonly spec: ServiceSpec;
  private readonly live: LiveNode[];
  private readonly readyTimeoutMs: number;
  private readonly stopGraceMs: number;
  private startedAt = new Date().toISOString();
  private stoppedAt: string | null = null;

  constructor(options: ProcessServiceOptions) {
    this.spec = options.spec;
    this.service = options.spec.service;
    this.instance = options.spec.instance;
    this.profile = options.spec.profile;
    this.address = options.address;
    this.settings = options.settings;
    this.network = options.spec.network;
    this.readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    this.stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    this.live = options.nodes.map((recipe) => ({
      recipe,
      process: null,
      condition: "stopped",
      child: null,
      exit: null,
    }));
  }

  get nodes(): readonly ServiceNode[] {
    return this.live.map((n) => ({
      id: n.recipe.id,
      pid: n.process?.pid ?? null,
      condition: n.condition,
      host: n.recipe.host ?? LOOPBACK,
      ports: n.recipe.ports,
      dataDir: n.recipe.dataDir,
      logFile: n.recipe.logFile,
    }));
  }

  /** Launches every node and resolves when all serve; on failure kills them all and rejects. */
  async start(): Promise<void> {
    this.startedAt = new Date().toISOString();
    this.stoppedAt = null;
    try {
      for (const n of this.live) await this.launch(n);
      this.persist();
      await Promise.all(this.live.map((n) => this.waitServing(n)));
    } catch (err) {
      await this.killQuietly(this.live);
      throw err;
    }
  }

  async kill(node?: string): Promise<void> {
    for (const n of this.select(node)) {
      if (n.process !== null) {
        signalProcess(n.process, "SIGKILL");
        await waitGone(n.process, 10_000);
      }
      n.process = null;
      n.child = null;
      n.condition = "killed";
    }
    this.persist();
  }

  async restart(node?: string): Promise<void> {
    const targets = this.select(node);
    this.stoppedAt = null;
    try {
      for (const n of targets) {
        if (n.process !== null) await terminate(n.process, this.stopGraceMs);
        await this.launch(n);
      }
      this.persist();
      await Promise.all(targets.map((n) => this.waitServing(n)));
    } catch (err) {
      await this.killQuietly(targets);
      throw err;
    }
  }

  /** Resolves once the kernel shows the process stopped (a JVM's threads stop one by one). */
  async pause(node?: string): Promise<void> {
    for (const n of this.select(node)) {
      if (n.process !== null && signalProcess(n.process, "SIGSTOP")) {
        await waitCondition(n.process, "paused");
        n.condition = "paused";
      }
    }
  }

  async resume(node?: string): Promise<void> {
    for (const n of this.select(node)) {
      if (n.process !== null && signalProcess(n.process, "SIGCONT")) {
        await waitCondition(n.process, "running");
        n.condition = "running";
      }
    }
  }

  async stop(options: { readonly wipe?: boolean } = {}): Promise<void> {
    await Promise.all(
      this.live.map(async (n) => {
        if (n.process !== null) await terminate(n.process, this.stopGraceMs);
        n.process = null;
        n.child = null;
        n.condition = "stopped";
      }),
    );
    this.stoppedAt = new Date().toISOString();
    // The namespaces go with the processes: a later start makes new ones (new addresses).
    if (this.network !== null) await this.network.destroy();
    const state = { ...this.state(), network: null };
    if (options.wipe === true) wipeInstance(this.spec.dir, state);
    else writeState(this.spec.dir, state);
  }

  private select(node: string | undefined): LiveNode[] {
    if (node === undefined) return this.live;
    const found = this.live.find((n) => n.recipe.id === node);
    if (found === undefined) {
      const ids = this.live.map((n) => n.recipe.id).join(", ");
      throw new Error(`${this.instance} has no node "${node}" (nodes: ${ids})`);
    }
    return [found];
  }

  private async launch(n: LiveNode): Promise<void> {
    const { recipe } = n;
    mkdirSync(dirname(recipe.logFile), { recursive: true });
    mkdirSync(recipe.dataDir, { recursive: true });
    const fd = openSync(recipe.logFile, "a");
    let child: ChildProcess;
    try {
      writeSync(
        fd,
        `\n${LAUNCH_MARK}${new Date().toISOString()}: ${recipe.command} ${recipe.args.join(" ")}\n`,
      );
      child = spawn(recipe.command, [...recipe.args], {
        cwd: recipe.cwd,
        env: recipe.env,
        detached: true,
        stdio: ["ignore", fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (err) =>
        reject(new ServiceStartError(`${this.instance}: cannot run ${recipe.command}: ${err.message}`)),
      );
    });
    child.unref();
    const pid = child.pid!;
    n.process = { pid, startTime: processStartTime(pid) };
    n.child = child;
    n.exit = null;
    n.condition = "running";
    child.once("exit", (code, signal) => {
      if (n.child === child) n.exit = { code, signal };
    });
  }

  private async waitServing(n: LiveNode): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    const label = this.live.length > 1 ? `${this.instance} node ${n.recipe.id}` : this.instance;
    let why = "no answer yet";
    for (;;) {
      const p = n.process;
      if (p === null || processCondition(p) === "gone") {
        // Gone from /proc a moment before Node reports the exit code.
        if (n.child !== null && n.exit === null) await exitOf(n.child, 1000);
        const how = n.exit?.signal ? `on ${n.exit.signal}` : `with code ${n.exit?.code ?? "?"}`;
        const reason = lastErrorLine(n.recipe.logFile);
        throw new ServiceStartError(
          `${label} exited ${how} before serving${reason ? `: ${reason}` : ""} (log: ${n.recipe.logFile})`,
        );
      }
      try {
        await n.recipe.probe();
        return;
      } catch (err) {
        why = (err as Error).message;
      }
      if (Date.now() >= deadline) {
        throw new ServiceStartError(
          `${label} did not serve within ${Math.round(this.readyTimeoutMs / 1000)} s (last probe: ${why}; log: ${n.recipe.logFile})`,
        );
      }
      await sleep(PROBE_INTERVAL_MS);
    }
  }

  private async killQuietly(nodes: readonly LiveNode[]): Promise<void> {
    for (const n of nodes) {
      if (n.process !== null) {
        signalProcess(n.process, "SIGKILL");
        await waitGone(n.process, 10_000);
      }
      n.process = null;
      n.child = null;
      n.condition = "killed";
    }
    if (this.live.every((n) => n.process === null)) this.stoppedAt = new Date().toISOString();
    this.persist();
  }

  private state(): ServiceState {
    return {
      version: 1,
      service: this.service,
      instance: this.instance,
      profile: this.profile,
      address: this.address,
      settings: { ...this.settings },
      startedAt: this.startedAt,
      stoppedAt: this.stoppedAt,
      dataDir: this.spec.dataDir,
      nodes: this.live.map((n) => ({
        id: n.recipe.id,
        pid: n.process?.pid ?? null,
        startTime: n.process?.startTime ?? null,
        host: n.recipe.host ?? LOOPBACK,
        ports: { ...n.recipe.ports },
        dataDir: n.recipe.dataDir,
        logFile: n.recipe.logFile,
      })),
      network:
        this.network === null
          ? null
          : { id: this.network.id, subnetOctet: this.network.subnetOctet, hosts: this.network.hosts.length },
    };
  }

  private persist(): void {
    writeState(this.spec.dir, this.state());
  }
}

/** Starts the nodes and resolves with the running instance once every node serves. */
export async function startProcesses(options: ProcessServiceOptions): Promise<ServiceInstance> {
  const service = new ProcessService(options);
  await service.start();
  return service;
}
