/**
 * The reference broker as a child process for one run (workload `server: spawn`): started with the
 * broker server's lean entry (`dist/adapters/reference/server/main.js`, the same flags and
 * behaviour as `brokerbench broker` without loading the CLI, so a restart is quick) on a free
 * loopback port and a fresh data directory, SIGKILLed by a broker-crash fault and restarted on the
 * same port and data directory, stopped after the run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinWorkloadDir } from "../workload/index.js";
import type { BrokerControl } from "./env.js";

const START_TIMEOUT_MS = 15_000;

/** The compiled broker server's entry, in the package's dist/. */
function serverEntry(): string {
  return join(builtinWorkloadDir(), "..", "dist", "adapters", "reference", "server", "main.js");
}

export type FlushPolicy = "always" | "interval" | "none";

export class SpawnedBroker implements BrokerControl {
  readonly dataDir: string;
  private readonly flush: FlushPolicy;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  port = 0;
  /** Last lines the broker printed (for errors). */
  output = "";

  private constructor(dataDir: string, flush: FlushPolicy) {
    this.dataDir = dataDir;
    this.flush = flush;
  }

  static async start(flush: FlushPolicy): Promise<SpawnedBroker> {
    if (!existsSync(serverEntry())) {
      throw new Error("server: spawn needs the compiled broker server (dist/); run `npm run build`");
    }
    const b = new SpawnedBroker(await mkdtemp(join(tmpdir(), "brokerbench-server-")), flush);
    await b.launch();
    return b;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private launch(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        serverEntry(),
        "--host",
        "127.0.0.1",
        "--port",
        String(this.port),
        "--data-dir",
        this.dataDir,
        "--flush",
        this.flush,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.child = child;
    this.output = "";
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the spawned broker did not start within ${START_TIMEOUT_MS} ms: ${this.output}`));
      }, START_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        this.output = (this.output + chunk.toString()).slice(-4000);
        const m = /listening on [^\s]+:(\d+)/.exec(this.output);
        if (m !== null) {
          clearTimeout(timer);
          this.port = Number(m[1]);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the spawned broker exited before listening: ${this.output.trim()}`));
      });
    });
  }

  /** SIGKILL: no shutdown, nothing flushed beyond what the flush policy already wrote. */
  async kill(): Promise<void> {
    this.child?.kill("SIGKILL");
    await this.exited;
    this.child = null;
  }

  /** Starts it again on the same port and data directory. */
  async restart(): Promise<void> {
    await this.launch();
  }

  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its data. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await this.exited;
      clearTimeout(timer);
      this.child = null;
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
