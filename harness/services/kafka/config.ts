/**
 * The files and the command line of a KRaft Kafka node (broker and controller in one process),
 * as pure functions of its ports and directories. The properties were checked on Kafka 4.4.0 here:
 * a static quorum (`controller.quorum.voters`, so `format` runs without `--standalone`), every
 * listener on 127.0.0.1 (Node may resolve localhost to ::1), replication factors of 1 for the
 * internal topics of a one-node cluster.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface KafkaNodeConfig {
  readonly nodeId: number;
  readonly host: string;
  readonly clientPort: number;
  readonly controllerPort: number;
  /** `id@host:port,…` of every controller (one node: itself). */
  readonly voters: string;
  /** log.dirs: where the node's partitions and metadata log live. */
  readonly logDir: string;
  /** `default` or `durable`. */
  readonly profile: string;
}

export const KAFKA_PROFILES = [
  {
    name: "default",
    description: "Kafka's own durability: acknowledged writes sit in the page cache, flushed by the OS",
  },
  {
    name: "durable",
    description: "fsync after every message (log.flush.interval.messages=1, OMB's kafka-sync)",
  },
] as const;

export function serverProperties(c: KafkaNodeConfig): string {
  const lines: [string, string | number][] = [
    ["process.roles", "broker,controller"],
    ["node.id", c.nodeId],
    ["controller.quorum.voters", c.voters],
    ["listeners", `PLAINTEXT://${c.host}:${c.clientPort},CONTROLLER://${c.host}:${c.controllerPort}`],
    ["advertised.listeners", `PLAINTEXT://${c.host}:${c.clientPort}`],
    ["controller.listener.names", "CONTROLLER"],
    ["inter.broker.listener.name", "PLAINTEXT"],
    ["listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"],
    ["log.dirs", c.logDir],
    ["offsets.topic.replication.factor", 1],
    ["transaction.state.log.replication.factor", 1],
    ["transaction.state.log.min.isr", 1],
    ["share.coordinator.state.topic.replication.factor", 1],
    ["share.coordinator.state.topic.min.isr", 1],
    // A new group starts at once instead of waiting 3 s for more members.
    ["group.initial.rebalance.delay.ms", 0],
    // Fewer idle threads on a small machine (defaults 3 and 8).
    ["num.network.threads", 2],
    ["num.io.threads", 4],
  ];
  if (c.profile === "durable") lines.push(["log.flush.interval.messages", 1]);
  return `${lines.map(([k, v]) => `${k}=${v}`).join("\n")}\n`;
}

/** Log4j 2 to stdout, which the service framework appends to the node's log file. */
export const LOG4J2_PROPERTIES = `status = error
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
`;

/** The JVM's options: a small heap (the data lives in the page cache, not the heap), G1 as Kafka's scripts set it. */
export const KAFKA_HEAP_OPTS = ["-Xms256m", "-Xmx512m"] as const;
export const KAFKA_JVM_OPTS = [
  "-XX:+UseG1GC",
  "-XX:MaxGCPauseMillis=20",
  "-XX:InitiatingHeapOccupancyPercent=35",
  "-XX:+ExplicitGCInvokesConcurrent",
  "-XX:+ExitOnOutOfMemoryError",
  "-Djava.awt.headless=true",
] as const;

export interface KafkaCommand {
  readonly classpath: string;
  readonly log4jFile: string;
  readonly logsDir: string;
  readonly propertiesFile: string;
  /** Shown in `ps` (`-Dbrokerbench.node=kafka/1`), so a stray JVM says whose it is. */
  readonly label: string;
}

export function kafkaServerArgs(c: KafkaCommand): string[] {
  return [
    ...KAFKA_HEAP_OPTS,
    ...KAFKA_JVM_OPTS,
    `-Dlog4j2.configurationFile=${c.log4jFile}`,
    `-Dkafka.logs.dir=${c.logsDir}`,
    `-Dbrokerbench.node=${c.label}`,
    "-cp",
    c.classpath,
    "kafka.Kafka",
    c.propertiesFile,
  ];
}

/** `StorageTool format`: writes meta.properties and the bootstrap metadata; a formatted dir is left alone. */
export function storageFormatArgs(classpath: string, clusterId: string, propertiesFile: string): string[] {
  return [
    "-Xmx256m",
    "-cp",
    classpath,
    "kafka.tools.StorageTool",
    "format",
    "-t",
    clusterId,
    "-c",
    propertiesFile,
    "--ignore-formatted",
  ];
}

/**
 * A cluster id as `StorageTool random-uuid` prints it (Kafka's Uuid: 16 random bytes, base64url
 * without padding, never starting with "-"), made here to save a JVM start.
 */
export function newClusterId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = clusterIdFrom(random(16));
    if (id !== null) return id;
  }
}

/** 16 bytes as a Kafka Uuid string, or null for what Kafka never hands out: a leading "-", the zero and metadata-topic ids. */
export function clusterIdFrom(bytes: Uint8Array): string | null {
  const id = Buffer.from(bytes).toString("base64url");
  return id.startsWith("-") || /^A{21}[AQ]$/.test(id) ? null : id;
}

/** The cluster id a formatted log dir holds (meta.properties), or null if it is not formatted. */
export function formattedClusterId(logDir: string): string | null {
  let text: string;
  try {
    text = readFileSync(join(logDir, "meta.properties"), "utf8");
  } catch {
    return null;
  }
  return /^cluster\.id=(.+)$/m.exec(text)?.[1]?.trim() ?? null;
}
