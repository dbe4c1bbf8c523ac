/**
 * Runs the broker server as a child process and waits for the line that says where it listens:
 * `entry` is server/main.js (compiled) or the CLI's bin with "broker" first in `args`. Used by the
 * crash test and the TCP benchmarks.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import { BROKER_NODE_FLAGS } from "./node-flags.js";

export interface ChildBroker {
  readonly child: ChildProcess;
  readonly port: number;
  /** Resolves with the exit code or signal once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Starts the broker and resolves once it prints the port it listens on. */
export function startChildBroker(
  entry: string,
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<ChildBroker> {
  const child = spawn(process.execPath, [...BROKER_NODE_FLAGS, entry, ...args, "--port", "0"], {
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

/** Peak resident memory of a process in bytes (Linux /proc VmHWM), or null where unavailable. */
export function peakRssBytes(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}
