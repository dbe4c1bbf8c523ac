/**
 * Apache ActiveMQ Artemis as a service: the binary distribution from Maven Central
 * (distribution.ts), a broker instance made non-interactively with `artemis create`, run in the
 * foreground with `<instance>/bin/artemis run`, ready once it answers a management request over
 * AMQP (its version).
 *
 * One acceptor only, Artemis's "all protocols" one, on the client port (61616 unless --port): the
 * per-protocol acceptors `create` adds by default would take 5672 (AMQP) and 1883 (MQTT), which
 * RabbitMQ and Mosquitto hold on these machines; that one acceptor speaks AMQP too. No web console.
 * Journal: NIO (libaio is not assumed), persistence on; the `default` profile keeps Artemis's own
 * `journal-datasync` (a durable message is fsynced before it is accepted), `nosync` turns it off.
 *
 * The instance (bin/, etc/) is generated under the instance's config/ (removed by `stop --wipe`);
 * its data (journal, bindings, paging, large messages) in the node's data directory. It is made
 * again (`create --force`, the data kept) only when the port, data directory or profile changed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MachineContext, ServiceDefinition, ServiceSpec } from "../definition.js";
import { ServiceStartError } from "../definition.js";
import { missingPrograms } from "../machine.js";
import { clientPortFor, LOOPBACK } from "../ports.js";
import { startProcesses } from "../processes.js";
import { nodeDataDir } from "../state.js";
import { ARTEMIS_VERSION, artemisHome, cachedArtemisHome, runTool } from "./distribution.js";

/** The credentials the instance is created with; the `artemis` adapter's default url uses them. */
export const ARTEMIS_USER = "artemis";
export const ARTEMIS_PASSWORD = "artemis";
/** The broker's heap limit (-Xmx; `create` sets -Xms512M). Artemis pages to disk beyond half of it. */
const JAVA_MEMORY = "1G";

export const ARTEMIS_PROFILES = [
  {
    name: "default",
    description: "durable journal, fsynced before a durable message is accepted (journal-datasync)",
  },
  {
    name: "durable",
    description: "the same as default, stated: journal-datasync is Artemis's own default",
  },
  { name: "nosync", description: "durable journal, written but not fsynced before accepting (--no-fsync)" },
] as const;

/** The arguments of `artemis create` for this instance (the part a re-create compares). */
export function createArgs(o: {
  readonly instanceHome: string;
  readonly port: number;
  readonly dataDir: string;
  readonly profile: string;
}): string[] {
  return [
    "create",
    o.instanceHome,
    "--silent",
    "--force",
    "--user",
    ARTEMIS_USER,
    "--password",
    ARTEMIS_PASSWORD,
    "--allow-anonymous",
    "--host",
    LOOPBACK,
    "--default-port",
    String(o.port),
    "--no-amqp-acceptor",
    "--no-mqtt-acceptor",
    "--no-stomp-acceptor",
    "--no-hornetq-acceptor",
    "--no-web",
    "--nio",
    "--java-memory",
    JAVA_MEMORY,
    "--data",
    o.dataDir,
    ...(o.profile === "nosync" ? ["--no-fsync"] : []),
  ];
}

export function artemisUrl(port: number): string {
  return `amqp://${ARTEMIS_USER}:${ARTEMIS_PASSWORD}@${LOOPBACK}:${port}`;
}

/** Makes the broker instance unless one made with the same arguments is there. */
async function ensureInstance(
  home: string,
  instanceHome: string,
  args: readonly string[],
  spec: ServiceSpec,
) {
  const marker = join(instanceHome, "brokerbench-create.json");
  const wanted = JSON.stringify(args);
  if (existsSync(join(instanceHome, "bin", "artemis")) && existsSync(marker)) {
    if (readFileSync(marker, "utf8") === wanted) return;
  }
  spec.progress(`creating the Artemis instance ${instanceHome}`);
  const { code, output } = await runTool(join(home, "bin", "artemis"), args, spec.env, spec.dir);
  if (code !== 0 || !existsSync(join(instanceHome, "bin", "artemis"))) {
    const reason =
      output
        .trim()
        .split("\n")
        .filter((l) => l.trim() !== "")
        .pop() ?? "";
    throw new ServiceStartError(`artemis create ${instanceHome} failed (exit ${code}): ${reason}`);
  }
  writeFileSync(marker, wanted);
}

export const artemisService: ServiceDefinition = {
  name: "artemis",
  description: `Apache ActiveMQ Artemis ${ARTEMIS_VERSION} (Maven Central distribution), one broker, AMQP on one acceptor`,
  adapters: ["artemis"],
  defaultPort: 61616,
  profiles: ARTEMIS_PROFILES,
  nodeCounts: [1],

  missing(machine: MachineContext) {
    // A cached distribution needs no Maven; the broker and `create` need Java, unpacking needs tar.
    const cached = cachedArtemisHome(machine.cacheDir) !== null;
    return missingPrograms(cached ? ["java"] : ["java", "mvn", "tar"], machine.env);
  },

  async start(spec: ServiceSpec) {
    const port = await clientPortFor(spec);
    const home = await artemisHome({ cacheDir: spec.cacheDir, env: spec.env, progress: spec.progress });
    const id = "1";
    const dataDir = nodeDataDir(spec.dataDir, id);
    const instanceHome = join(spec.dir, "config", "instance");
    mkdirSync(join(spec.dir, "config"), { recursive: true });
    mkdirSync(dataDir, { recursive: true });
    await ensureInstance(
      home,
      instanceHome,
      createArgs({ instanceHome, port, dataDir, profile: spec.profile }),
      spec,
    );
    const settings = { url: artemisUrl(port) };
    return startProcesses({
      spec,
      address: `${LOOPBACK}:${port}`,
      settings,
      readyTimeoutMs: 60_000,
      stopGraceMs: 20_000,
      nodes: [
        {
          id,
          // The script execs the JVM: the node's pid is the broker's.
          command: join(instanceHome, "bin", "artemis"),
          args: ["run"],
          env: spec.env,
          cwd: spec.dir,
          ports: { client: port },
          dataDir,
          logFile: join(spec.dir, "logs", `node-${id}.log`),
          probe: async () => {
            // The AMQP client loads here, not with the registry every `brokerbench run` imports.
            const { probeArtemis } = await import("../../../adapters/artemis/index.js");
            await probeArtemis(settings);
          },
        },
      ],
    });
  },
};
