/**
 * Google's Pub/Sub emulator as a service: the jar of the Google Cloud CLI's `pubsub-emulator`
 * component (found by adapters/pubsub/emulator.ts), run directly with `java -jar` in the
 * foreground (as `gcloud beta emulators pubsub start` would, minus the Python wrapper, so the
 * framework owns the JVM's pid), bound to 127.0.0.1. The port is 8085, the emulator's own
 * default, when free, else any free one; `--port` picks it. Ready when it answers a REST call
 * (list topics) on that port. The emulator keeps everything in memory: there is no data to keep
 * across a restart, and no profile.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { findEmulator } from "../../../adapters/pubsub/emulator.js";
import { DEFAULT_EMULATOR_PORT } from "../../../adapters/pubsub/settings.js";
import type { MachineContext, ServiceDefinition, ServiceSpec } from "../definition.js";
import { missingPrograms } from "../machine.js";
import { LOOPBACK, preferredOrFreePort, requireFreePorts } from "../ports.js";
import { startProcesses } from "../processes.js";
import { nodeDataDir } from "../state.js";

/**
 * Heap bounds: messages live on the heap until acknowledged and, with topic retention (the
 * adapter's replay), for the retention period after that.
 */
const JVM_OPTIONS = ["-Xms64m", "-Xmx2g"] as const;

/** A real request: the emulator's REST surface lists a project's topics. */
export async function probeEmulator(host: string, port: number): Promise<void> {
  const res = await fetch(`http://${host}:${port}/v1/projects/brokerbench-probe/topics`, {
    signal: AbortSignal.timeout(2_000),
  });
  if (res.status !== 200) throw new Error(`${host}:${port} answered HTTP ${res.status} to a topic listing`);
  const body = (await res.json()) as unknown;
  if (typeof body !== "object" || body === null) throw new Error(`${host}:${port} answered no JSON object`);
}

/** The emulator's command line (after `java`). */
export function emulatorArgs(jar: string, port: number): string[] {
  return [...JVM_OPTIONS, "-jar", jar, `--host=${LOOPBACK}`, `--port=${port}`];
}

export const pubsubService: ServiceDefinition = {
  name: "pubsub",
  description: "Google's Pub/Sub emulator (the Google Cloud CLI's pubsub-emulator jar), in memory",
  adapters: ["pubsub"],
  // 0: a free port, 8085 when that one is free (see start).
  defaultPort: 0,
  profiles: [{ name: "default", description: "the emulator as it ships (in memory)" }],
  nodeCounts: [1],

  missing(machine: MachineContext) {
    const java = missingPrograms(["java"], machine.env);
    if (java !== null) return java;
    const found = findEmulator(machine.env);
    return typeof found === "string" ? found : null;
  },

  async start(spec: ServiceSpec) {
    const found = findEmulator(spec.env);
    if (typeof found === "string") throw new Error(`cannot start pubsub: ${found}`);
    const port = spec.port === 0 ? await preferredOrFreePort(DEFAULT_EMULATOR_PORT) : spec.port;
    await requireFreePorts(spec.instance, { client: port });
    const id = "1";
    const dataDir = nodeDataDir(spec.dataDir, id);
    mkdirSync(dataDir, { recursive: true });
    return startProcesses({
      spec,
      address: `${LOOPBACK}:${port}`,
      settings: { url: `${LOOPBACK}:${port}` },
      readyTimeoutMs: 60_000,
      stopGraceMs: 10_000,
      nodes: [
        {
          id,
          command: "java",
          args: emulatorArgs(found.jar, port),
          env: spec.env,
          cwd: dataDir,
          ports: { client: port },
          dataDir,
          logFile: join(spec.dir, "logs", `node-${id}.log`),
          probe: () => probeEmulator(LOOPBACK, port),
        },
      ],
    });
  },
};
