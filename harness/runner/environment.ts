/** The environment section of results.json. */
import { readFileSync } from "node:fs";
import { cpus, hostname, totalmem } from "node:os";
import { join } from "node:path";
import type { RunEnvironment } from "../../core/results.js";
import { builtinWorkloadDir } from "../workload/index.js";

let version: string | null = null;

export function brokerbenchVersion(): string {
  if (version === null) {
    try {
      const pkg = JSON.parse(readFileSync(join(builtinWorkloadDir(), "..", "package.json"), "utf8")) as {
        version?: string;
      };
      version = pkg.version ?? "unknown";
    } catch {
      version = "unknown";
    }
  }
  return version;
}

export function environment(adapterVersions: Readonly<Record<string, string>>): RunEnvironment {
  const cpu = cpus();
  return {
    brokerbench: brokerbenchVersion(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpu[0]?.model ?? "unknown",
    cpus: cpu.length,
    memTotalMiB: Math.round(totalmem() / (1024 * 1024)),
    hostname: hostname(),
    adapterVersions,
  };
}
