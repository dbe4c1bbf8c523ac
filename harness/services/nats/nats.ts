/**
 * A private nats-server (the machine's binary) with JetStream on, on a free loopback port, its
 * JetStream store in the node's data directory; never the shared server on 4222. The whole
 * configuration is on the command line (`-js -sd <dir>`), no config file.
 *
 * Persistence is chosen per stream, by the client: the `jetstream` adapter's `storage` setting.
 * The profiles set it in the instance's adapter settings:
 *
 * - `default`: JetStream as it ships, streams on file storage (the stream default): a message is
 *   written to the stream's block file before the publish is acknowledged, and fsynced on the
 *   server's own schedule. nats-server 2.9 has no `sync_interval: always` (2.10 added it), so this
 *   is also the most durable storage this binary offers.
 * - `durable`: the same server, file storage stated explicitly (storage=file), so a `--set
 *   storage=memory` cannot slip into a run that claims to be durable.
 * - `memory`: streams in memory (storage=memory): a SIGKILL loses every stream.
 *
 * Core NATS (the `nats` adapter) keeps nothing in any profile. Ready when a client connects and
 * JetStream answers an account-info request.
 */
import type { MachineContext, ServiceDefinition, ServiceProfile, ServiceSpec } from "../definition.js";
import { missingPrograms } from "../machine.js";
import { startOneBinary } from "../one-binary.js";
import { LOOPBACK } from "../ports.js";

export const NATS_PROFILES: readonly ServiceProfile[] = [
  {
    name: "default",
    description:
      "JetStream file storage as shipped: written before the ack, fsynced on the server's schedule",
  },
  {
    name: "durable",
    description: "file storage stated (storage=file); 2.9 has no sync-always, so the server is as default",
  },
  { name: "memory", description: "streams in memory (storage=memory): nothing survives a restart" },
];

/** The `jetstream` adapter's settings a profile fixes (besides the url). */
export function natsProfileSettings(profile: string): Record<string, string> {
  if (profile === "durable") return { storage: "file" };
  if (profile === "memory") return { storage: "memory" };
  return {};
}

export function natsArgs(port: number, storeDir: string): string[] {
  return ["-a", LOOPBACK, "-p", String(port), "-js", "-sd", storeDir, "-n", `brokerbench-${port}`];
}

/** A real request: connect, and JetStream answers account info (the store is open). */
export async function probeNats(port: number): Promise<void> {
  const { connect } = await import("nats");
  const nc = await connect({ servers: `nats://${LOOPBACK}:${port}`, timeout: 1000, reconnect: false });
  try {
    await (await nc.jetstreamManager({ timeout: 2000 })).getAccountInfo();
  } finally {
    await nc.close();
  }
}

export const natsService: ServiceDefinition = {
  name: "nats",
  description: "a private nats-server with JetStream (the machine's binary), its own store directory",
  adapters: ["nats", "jetstream"],
  defaultPort: 0,
  profiles: NATS_PROFILES,
  nodeCounts: [1],

  missing: (machine: MachineContext) => missingPrograms(["nats-server"], machine.env),

  start: (spec: ServiceSpec) =>
    startOneBinary(spec, {
      command: "nats-server",
      prepare: natsArgs,
      settings: (address) => ({ url: `nats://${address}`, ...natsProfileSettings(spec.profile) }),
      probe: probeNats,
    }),
};
