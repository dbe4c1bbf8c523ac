import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { servicePom } from "../maven.js";
import {
  clusterIdFrom,
  formattedClusterId,
  kafkaServerArgs,
  newClusterId,
  serverProperties,
  storageFormatArgs,
} from "./config.js";
import { KAFKA_VERSION } from "./kafka.js";

const node = {
  nodeId: 1,
  host: "127.0.0.1",
  clientPort: 19092,
  controllerPort: 19093,
  voters: "1@127.0.0.1:19093",
  logDir: "/data/node-1",
  profile: "default",
};

function props(text: string): Map<string, string> {
  return new Map(
    text
      .trim()
      .split("\n")
      .map((l) => l.split("=", 2) as [string, string]),
  );
}

describe("server.properties", () => {
  it("one KRaft node on loopback: both roles, a static quorum, internal topics at RF 1", () => {
    const p = props(serverProperties(node));
    expect(Object.fromEntries(p)).toMatchObject({
      "process.roles": "broker,controller",
      "node.id": "1",
      "controller.quorum.voters": "1@127.0.0.1:19093",
      listeners: "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093",
      "advertised.listeners": "PLAINTEXT://127.0.0.1:19092",
      "controller.listener.names": "CONTROLLER",
      "log.dirs": "/data/node-1",
      "offsets.topic.replication.factor": "1",
      "transaction.state.log.replication.factor": "1",
      "transaction.state.log.min.isr": "1",
      "share.coordinator.state.topic.replication.factor": "1",
    });
    expect(p.has("log.flush.interval.messages")).toBe(false);
  });

  it("the durable profile fsyncs every message", () => {
    expect(props(serverProperties({ ...node, profile: "durable" })).get("log.flush.interval.messages")).toBe(
      "1",
    );
  });

  it("the JVM runs kafka.Kafka on the properties file with a small heap and the log4j file", () => {
    const args = kafkaServerArgs({
      classpath: "/libs/*",
      log4jFile: "/c/log4j2.properties",
      logsDir: "/logs",
      propertiesFile: "/c/server-1.properties",
      label: "kafka/1",
    });
    expect(args.slice(-4)).toEqual(["-cp", "/libs/*", "kafka.Kafka", "/c/server-1.properties"]);
    expect(args).toContain("-Xmx512m");
    expect(args).toContain("-Dlog4j2.configurationFile=/c/log4j2.properties");
    expect(args).toContain("-Dbrokerbench.node=kafka/1");
    // A static quorum: --standalone would be refused.
    expect(storageFormatArgs("/libs/*", "id", "/c/s.properties")).not.toContain("--standalone");
  });
});

describe("cluster ids", () => {
  it("are Kafka Uuids: 16 bytes in unpadded base64url, never starting with '-', never the reserved ids", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const id = clusterIdFrom(bytes);
        const text = Buffer.from(bytes).toString("base64url");
        const refused = text.startsWith("-") || text === "A".repeat(22) || text === `${"A".repeat(21)}Q`;
        expect(id).toBe(refused ? null : text);
        if (id !== null) {
          expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
          expect(Buffer.from(id, "base64url")).toEqual(Buffer.from(bytes));
        }
      }),
    );
    expect(clusterIdFrom(Buffer.from([0, ...Array(14).fill(0), 1]))).toBeNull();
  });

  it("a reserved or '-' id is drawn again", () => {
    const draws = [Buffer.alloc(16), Buffer.from([0xf8, ...Array(15).fill(1)]), Buffer.alloc(16, 7)];
    expect(newClusterId(() => draws.shift()!)).toBe(Buffer.alloc(16, 7).toString("base64url"));
  });

  it("are read back from a formatted directory's meta.properties", () => {
    const dir = mkdtempSync(join(tmpdir(), "bb-meta-"));
    expect(formattedClusterId(dir)).toBeNull();
    writeFileSync(
      join(dir, "meta.properties"),
      "#\nnode.id=1\nversion=1\ncluster.id=Q_IK4xwJDzO0svz_uo_hgg\n",
    );
    expect(formattedClusterId(dir)).toBe("Q_IK4xwJDzO0svz_uo_hgg");
  });
});

describe("pom.xml", () => {
  it("pins the Kafka version the service reports, with kafka-tools minus connect-runtime", () => {
    const pom = readFileSync(servicePom("kafka"), "utf8");
    expect(pom).toContain(`<kafka.version>${KAFKA_VERSION}</kafka.version>`);
    expect(pom).toMatch(
      /<artifactId>kafka-tools<\/artifactId>[\s\S]*<artifactId>connect-runtime<\/artifactId>/,
    );
    expect(pom).toContain("<artifactId>kafka_2.13</artifactId>");
  });
});
