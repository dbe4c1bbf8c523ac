/**
 * Runs `brokerbench broker` as a child process for crash tests. A child needs JavaScript: the
 * project is compiled once per test run into a private directory under node_modules/.cache (never
 * the shared dist/, so a stale or concurrently rebuilt dist cannot fool the test), and the child
 * imports the CLI from there.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const BUILD_DIR = path.join(REPO, "node_modules", ".cache", `brokerbench-child-build-${process.pid}`);

/**
 * Compiles the project to JavaScript for child processes; returns the lean server entry
 * (server/main.js: the same flags as `brokerbench broker`, without loading the whole CLI).
 */
export function buildCli(): string {
  fs.rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = path.join(REPO, "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(
      process.execPath,
      [tsc, "-p", path.join(REPO, "tsconfig.build.json"), "--outDir", BUILD_DIR],
      {
        cwd: REPO,
        stdio: "pipe",
      },
    );
  } catch {
    // Type errors elsewhere in a work-in-progress tree still emit JavaScript; the files we need are checked below.
  }
  const cli = path.join(BUILD_DIR, "adapters", "reference", "server", "main.js");
  for (const f of [cli, path.join(BUILD_DIR, "harness", "cli.js")]) {
    if (!fs.existsSync(f)) {
      throw new Error(
        `compiling the project for the child broker did not produce ${f}; run \`npm run build\` to see why`,
      );
    }
  }
  return cli;
}

export function removeBuild(): void {
  fs.rmSync(BUILD_DIR, { recursive: true, force: true });
}

export interface ChildBroker {
  readonly child: ChildProcess;
  readonly port: number;
  /** Resolves with the exit code or signal once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Starts the broker and resolves once it prints the port it listens on. */
export function startChildBroker(
  cli: string,
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<ChildBroker> {
  const child = spawn(process.execPath, [cli, "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child broker did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), exited, output: () => out });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`child broker exited (code ${code}, signal ${signal}) before listening:\n${out}`));
    });
  });
}
