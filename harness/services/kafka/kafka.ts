/**
 * Apache Kafka as a service: one KRaft node (broker and controller in one JVM) from Maven Central's
 * jars (pom.xml beside this file), on 127.0.0.1. Starting it resolves the jars once into the
 * cache, formats the data directory on first use (StorageTool, cluster id made here), starts
 * `kafka.Kafka` detached and returns once it answers a Metadata request with its own cluster id.
 * The client port is the one asked for; the controller port is the next one if free, else any
 * free port (KRaft takes a changed controller port on restart with a static quorum).
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MachineContext, ServiceDefinition, ServiceSpec } from "../definition.js";
import { ServiceStartError } from "../definition.js";
import { missingPrograms } from "../machine.js";
import { cachedMavenLibs, classpathOf, resolveMavenLibs, servicePom } from "../maven.js";
import { clientPortFor, LOOPBACK, preferredOrFreePort } from "../ports.js";
import { startProcesses } from "../processes.js";
import { brokerbenchHome, cacheDir, nodeDataDir } from "../state.js";
import {
  formattedClusterId,
  KAFKA_PROFILES,
  kafkaServerArgs,
  LOG4J2_PROPERTIES,
  newClusterId,
  serverProperties,
  storageFormatArgs,
} from "./config.js";

export const KAFKA_VERSION = "4.4.0";
const NODE_ID = 1;

/** The Kafka jars, resolved into the cache if they are not there yet (runs `mvn` once). */
export function kafkaLibs(options: {
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: (line: string) => void;
}): Promise<string> {
  const env = options.env ?? process.env;
  return resolveMavenLibs({
    pom: servicePom("kafka"),
    cacheDir: cacheDir(brokerbenchHome(env)),
    name: "kafka",
    env,
    progress: options.progress ?? (() => {}),
  });
}

/**
 * The classpath of Kafka's server and tools (`<libs>/*`), for running
 * `org.apache.kafka.tools.ProducerPerformance` or `EndToEndLatency` against a service.
 */
export async function kafkaClasspath(
  options: { readonly env?: NodeJS.ProcessEnv; readonly progress?: (line: string) => void } = {},
): Promise<string> {
  return classpathOf(await kafkaLibs(options));
}

/** Runs a short-lived JVM tool to the end; its output only matters when it fails. */
export function runTool(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("java", [...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8192);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * Ready: a Metadata request answered by this cluster (its id, not another Kafka's), listing this
 * broker and an active controller.
 */
export async function kafkaServes(address: string, clusterId: string | null): Promise<void> {
  // The client loads here, not with the service registry every `brokerbench run` imports.
  const { Admin } = await import("@platformatic/kafka");
  const admin = new Admin({
    clientId: "brokerbench-service-probe",
    bootstrapBrokers: [address],
    retries: 0,
    connectTimeout: 1000,
    requestTimeout: 3000,
  });
  try {
    const metadata = await admin.metadata({ topics: [] });
    if (clusterId !== null && metadata.id !== clusterId) {
      throw new Error(`${address} is another Kafka cluster (${metadata.id}, not ${clusterId})`);
    }
    if (metadata.brokers.size === 0 || metadata.controllerId < 0) {
      throw new Error(`${address} answers metadata without a broker and an active controller yet`);
    }
  } finally {
    await admin.close().catch(() => {});
  }
}

export const kafkaService: ServiceDefinition = {
  name: "kafka",
  description: `Apache Kafka ${KAFKA_VERSION}, one KRaft node (broker+controller) from Maven Central's jars`,
  adapters: ["kafka"],
  defaultPort: 9092,
  profiles: KAFKA_PROFILES,
  nodeCounts: [1],

  missing(machine: MachineContext) {
    const cached = cachedMavenLibs(servicePom("kafka"), machine.cacheDir, "kafka") !== null;
    // Cached jars need no Maven; Java is always needed.
    return missingPrograms(cached ? ["java"] : ["java", "mvn"], machine.env);
  },

  async start(spec: ServiceSpec) {
    const clientPort = await clientPortFor(spec);
    const controllerPort = await preferredOrFreePort(clientPort + 1);
    const libs = await kafkaLibs({ env: spec.env, progress: spec.progress });
    const classpath = classpathOf(libs);

    const id = String(NODE_ID);
    const logDir = nodeDataDir(spec.dataDir, id);
    const configDir = join(spec.dir, "config");
    const logsDir = join(spec.dir, "logs");
    mkdirSync(configDir, { recursive: true });
    mkdirSync(logsDir, { recursive: true });
    mkdirSync(logDir, { recursive: true });
    const propertiesFile = join(configDir, `server-${id}.properties`);
    const log4jFile = join(configDir, "log4j2.properties");
    writeFileSync(
      propertiesFile,
      serverProperties({
        nodeId: NODE_ID,
        host: LOOPBACK,
        clientPort,
        controllerPort,
        voters: `${NODE_ID}@${LOOPBACK}:${controllerPort}`,
        logDir,
        profile: spec.profile,
      }),
    );
    writeFileSync(log4jFile, LOG4J2_PROPERTIES);

    let clusterId = formattedClusterId(logDir);
    if (clusterId === null) {
      clusterId = newClusterId();
      spec.progress(`formatting ${logDir} (cluster ${clusterId})`);
      const { code, output } = await runTool(
        storageFormatArgs(classpath, clusterId, propertiesFile),
        spec.env,
      );
      if (code !== 0) {
        const reason = output.trim().split("\n").pop() ?? "";
        throw new ServiceStartError(`kafka storage format of ${logDir} failed (exit ${code}): ${reason}`);
      }
    }

    const address = `${LOOPBACK}:${clientPort}`;
    const expectedId = clusterId;
    return startProcesses({
      spec,
      address,
      settings: { url: address },
      nodes: [
        {
          id,
          command: "java",
          args: kafkaServerArgs({
            classpath,
            log4jFile,
            logsDir,
            propertiesFile,
            label: `${spec.instance}/${id}`,
          }),
          env: spec.env,
          cwd: spec.dir,
          ports: { client: clientPort, controller: controllerPort },
          dataDir: logDir,
          logFile: join(logsDir, `node-${id}.log`),
          probe: () => kafkaServes(address, expectedId),
        },
      ],
    });
  },
};
