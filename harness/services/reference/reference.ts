/**
 * The reference broker as a service: `brokerbench broker` (the compiled CLI) as a detached server
 * on a loopback port. The quickest real service, so the framework's own tests (kill, restart,
 * pause) run on it in a second; a runner's `server: spawn` can use it as it uses any other.
 * Ready when it answers ApiVersions.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ReferenceClient } from "../../../adapters/reference/client/client.js";
import { BROKER_NODE_FLAGS } from "../../../adapters/reference/server/node-flags.js";
import type { ServiceDefinition, ServiceSpec } from "../definition.js";
import { packageFile } from "../package-files.js";
import { clientPortFor, LOOPBACK } from "../ports.js";
import { startProcesses } from "../processes.js";
import { nodeDataDir } from "../state.js";

const FLUSH_BY_PROFILE: Readonly<Record<string, string>> = {
  default: "interval",
  durable: "always",
};

function compiledCli(): { bin: string; entry: string } {
  return {
    bin: packageFile("bin", "brokerbench.js"),
    entry: packageFile("dist", "harness", "cli", "cli.js"),
  };
}

async function probe(port: number): Promise<void> {
  const client = await ReferenceClient.connect({
    host: LOOPBACK,
    port,
    connectTimeoutMs: 1000,
    requestTimeoutMs: 2000,
  });
  await client.close();
}

export const referenceService: ServiceDefinition = {
  name: "reference",
  description: "brokerbench's reference broker as a TCP server (`brokerbench broker`), data on disk",
  adapters: ["reference"],
  defaultPort: 0,
  profiles: [
    { name: "default", description: "fsync once a second (--flush interval)" },
    { name: "durable", description: "fsync before every acknowledgement (--flush always)" },
  ],
  nodeCounts: [1],

  missing() {
    const { entry } = compiledCli();
    return existsSync(entry) ? null : `the compiled CLI ${entry} is missing (run npm run build)`;
  },

  async start(spec: ServiceSpec) {
    const port = await clientPortFor(spec);
    const id = "1";
    const dataDir = nodeDataDir(spec.dataDir, id);
    const flush = FLUSH_BY_PROFILE[spec.profile] ?? "interval";
    const { bin } = compiledCli();
    return startProcesses({
      spec,
      address: `${LOOPBACK}:${port}`,
      settings: { url: `${LOOPBACK}:${port}` },
      readyTimeoutMs: 30_000,
      stopGraceMs: 10_000,
      nodes: [
        {
          id,
          command: process.execPath,
          args: [
            ...BROKER_NODE_FLAGS,
            bin,
            "broker",
            "--host",
            LOOPBACK,
            "--port",
            String(port),
            "--data-dir",
            dataDir,
            "--flush",
            flush,
          ],
          env: spec.env,
          cwd: spec.dir,
          ports: { client: port },
          dataDir,
          logFile: join(spec.dir, "logs", `node-${id}.log`),
          probe: () => probe(port),
        },
      ],
    });
  },
};
