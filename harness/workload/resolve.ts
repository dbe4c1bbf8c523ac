/**
 * Command-line workload arguments → files. An argument that names an existing file (or looks like a
 * path) is that file; a bare name is `workloads/<name>.yaml` of the installed package.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../core/errors.js";

/** What `brokerbench run` runs with no workload argument. */
export const DEFAULT_WORKLOAD = "default";

/** The package's own workloads/ folder (found from this file, in the sources or in dist/). */
export function builtinWorkloadDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "workloads")))
      return join(dir, "workloads");
    dir = dirname(dir);
  }
  throw new Error("cannot find the brokerbench package's workloads/ folder");
}

/** Names of the built-in workloads (files in workloads/ without extension). */
export function builtinWorkloads(): string[] {
  return readdirSync(builtinWorkloadDir())
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => f.replace(/\.ya?ml$/, ""))
    .sort();
}

export function resolveWorkloadArg(arg: string): string {
  const looksLikePath = /[/\\]/.test(arg) || /\.ya?ml$/.test(arg);
  if (looksLikePath || existsSync(arg)) return arg;
  for (const ext of [".yaml", ".yml"]) {
    const file = join(builtinWorkloadDir(), arg + ext);
    if (existsSync(file)) return file;
  }
  throw new UsageError(
    `unknown workload "${arg}": no such file, and no built-in workload of that name ` +
      `(built-in: ${builtinWorkloads().join(", ")})`,
  );
}
