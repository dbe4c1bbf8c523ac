/**
 * `--workers N`: N worker processes on this machine (so that a many-core machine uses its cores),
 * each `brokerbench worker --listen 127.0.0.1:0` on a free port, stopped when the runs are over.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseHostPort } from "./address.js";
import { WorkerClient } from "./client.js";

/** What `brokerbench worker` prints on stdout once it listens (the line LocalWorkers waits for). */
export const LISTENING = "brokerbench worker: listening on ";
/**
 * Set for a local worker: it stops when its stdin closes, that is when its coordinator is gone
 * (it runs in its own process group, so a Ctrl-C at the terminal reaches only the coordinator,
 * which then winds the run down through the workers).
 */
export const LIFELINE_ENV = "BROKERBENCH_WORKER_LIFELINE";
// Loading the CLI takes seconds on a busy machine (8 s seen at load 10 on 2 cores).
const START_TIMEOUT_MS = 60_000;

/** bin/brokerbench.js of this checkout (from dist/ or from the TypeScript sources). */
export function cliEntry(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const bin = join(dir, "bin", "brokerbench.js");
    if (existsSync(bin)) return bin;
    dir = dirname(dir);
  }
  throw new Error("bin/brokerbench.js not found: local workers need the brokerbench checkout");
}

export class LocalWorkers {
  readonly clients: readonly WorkerClient[];
  private readonly children: readonly ChildProcess[];

  private constructor(children: ChildProcess[], clients: WorkerClient[]) {
    this.children = children;
    this.clients = clients;
  }

  static async start(count: number): Promise<LocalWorkers> {
    const children: ChildProcess[] = [];
    const clients: WorkerClient[] = [];
    try {
      // Started together: each takes a second or more to load under load.
      for (let i = 0; i < count; i++) {
        children.push(
          spawn(process.execPath, [cliEntry(), "worker", "--listen", "127.0.0.1:0"], {
            stdio: ["pipe", "pipe", "inherit"],
            env: { ...process.env, BROKERBENCH_TOKEN: "", [LIFELINE_ENV]: "1" },
            detached: true,
          }),
        );
      }
      const addresses = await Promise.all(children.map(workerAddressOf));
      for (const at of addresses) clients.push(new WorkerClient(at, null, { sameClock: true }));
    } catch (err) {
      await new LocalWorkers(children, clients).stop();
      throw err;
    }
    return new LocalWorkers(children, clients);
  }

  /** The worker processes' ids (a test kills one to lose a worker). */
  get pids(): readonly number[] {
    return this.children.map((c) => c.pid ?? -1);
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map(stopChild));
  }
}

/** SIGTERM (a worker finishes what it holds), SIGKILL after 5 s; resolves when it has exited. */
export async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
  c.kill("SIGTERM");
  const timer = setTimeout(() => c.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** The address a started `brokerbench worker` prints once it listens (rejects if it exits first). */
export function workerAddressOf(child: ChildProcess) {
  return new Promise<ReturnType<typeof parseHostPort> & object>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => reject(new Error("a local worker did not start within 60 s")),
      START_TIMEOUT_MS,
    );
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`a local worker failed to start: ${why}`));
    };
    child.once("exit", (code) => fail(`it exited with code ${code}`));
    child.once("error", (err) => fail(err.message));
    lines.on("line", (line) => {
      if (!line.startsWith(LISTENING)) return;
      const at = parseHostPort(line.slice(LISTENING.length));
      if (at === null) return fail(`unexpected address in "${line}"`);
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve(at);
    });
  });
}
