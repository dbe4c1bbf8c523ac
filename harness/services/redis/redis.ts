/**
 * A private redis-server (the machine's binary) on a free loopback port, its data in the node's
 * data directory, never the shared instance on 6379. Run in the foreground with its whole
 * configuration on the command line (no config file to read), so the persistence profile is all
 * there is to know:
 *
 * - `default`: what redis-server does with no configuration: RDB snapshots (`save 3600 1 300 100
 *   60 10000`), no append-only file. A SIGKILL loses every write since the last snapshot, which in
 *   a run of seconds means every write.
 * - `durable`: `appendonly yes` + `appendfsync always`: every write command is appended and fsynced
 *   before the reply, so an acknowledged XADD survives a SIGKILL (and an OS crash).
 *
 * Ready when it answers PING.
 */
import type { MachineContext, ServiceDefinition, ServiceProfile, ServiceSpec } from "../definition.js";
import { missingPrograms } from "../machine.js";
import { startOneBinary } from "../one-binary.js";
import { LOOPBACK } from "../ports.js";

export const REDIS_PROFILES: readonly ServiceProfile[] = [
  {
    name: "default",
    description: "redis-server's own: RDB snapshots (save 3600 1 300 100 60 10000), no AOF",
  },
  { name: "durable", description: "appendonly yes + appendfsync always: fsync every write before replying" },
];

/** The persistence directives of a profile, as redis-server command-line options. */
export function redisPersistenceArgs(profile: string): string[] {
  return profile === "durable" ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
}

/** redis-server's command line for a node: loopback only, its own port and directory. */
export function redisArgs(port: number, dataDir: string, profile: string): string[] {
  return [
    "--bind",
    LOOPBACK,
    "--port",
    String(port),
    "--dir",
    dataDir,
    "--daemonize",
    "no",
    // Not the packaged default's /var/run/redis pid file or syslog: nothing outside the instance.
    "--pidfile",
    "",
    "--logfile",
    "",
    // The private instance has no other users; a run's memory is bounded by the workload.
    "--protected-mode",
    "yes",
    ...redisPersistenceArgs(profile),
  ];
}

/** A real request: PING answered PONG (ioredis loads here, not when the registry is listed). */
export async function pingRedis(port: number): Promise<void> {
  const { Redis } = await import("ioredis");
  const client = new Redis({
    host: LOOPBACK,
    port,
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    const answer = await client.ping();
    if (answer !== "PONG") throw new Error(`PING answered ${answer}`);
  } finally {
    client.disconnect();
  }
}

export const redisService: ServiceDefinition = {
  name: "redis",
  description: "a private redis-server on a free port (the machine's binary), its own data directory",
  adapters: ["redis-streams", "redis-pubsub"],
  defaultPort: 0,
  profiles: REDIS_PROFILES,
  nodeCounts: [1],

  missing: (machine: MachineContext) => missingPrograms(["redis-server"], machine.env),

  start: (spec: ServiceSpec) =>
    startOneBinary(spec, {
      command: "redis-server",
      prepare: (port, dataDir) => redisArgs(port, dataDir, spec.profile),
      settings: (address) => ({ url: `redis://${address}` }),
      probe: pingRedis,
    }),
};
