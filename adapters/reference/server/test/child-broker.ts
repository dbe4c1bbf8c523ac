/**
 * Runs `brokerbench broker` as a child process for crash tests. A child needs JavaScript: the
 * project is compiled once per test run into a private directory under node_modules/.cache (never
 * the shared dist/, so a stale or concurrently rebuilt dist cannot fool the test), and the child
 * imports the CLI from there.
 */
import { execFileSync } from "node:child_process";
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
  for (const f of [cli, path.join(BUILD_DIR, "harness", "cli", "cli.js")]) {
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

export { type ChildBroker, startChildBroker } from "../child.js";
