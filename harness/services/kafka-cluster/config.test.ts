import { describe, expect, it } from "vitest";
import {
  clusterServerArgs,
  clusterServerProperties,
  KAFKA_CLUSTER_PROFILES,
  nodeRoles,
  quorumVoters,
} from "./config.js";

const props = (profile: string) =>
  clusterServerProperties({
    nodeId: 2,
    host: "127.0.0.1",
    clientPort: 40002,
    controllerPort: 41002,
    voters: quorumVoters([41001, 41002, 41003].map((port, i) => ({ id: i + 1, host: "127.0.0.1", port }))),
    logDir: "/tmp/x/node-2",
    profile,
  });

function parse(text: string): Map<string, string> {
  const keys = text
    .trim()
    .split("\n")
    .map((l) => l.slice(0, l.indexOf("=")));
  expect(new Set(keys).size).toBe(keys.length);
  return new Map(
    text
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

describe("kafka-cluster node properties", () => {
  it("names all three voters and replicates everything three times, each key once", () => {
    const p = parse(props("default"));
    expect(p.get("controller.quorum.voters")).toBe("1@127.0.0.1:41001,2@127.0.0.1:41002,3@127.0.0.1:41003");
    expect(p.get("node.id")).toBe("2");
    expect(p.get("default.replication.factor")).toBe("3");
    expect(p.get("offsets.topic.replication.factor")).toBe("3");
    expect(p.get("listeners")).toBe("PLAINTEXT://127.0.0.1:40002,CONTROLLER://127.0.0.1:41002");
  });

  it("takes min.insync.replicas and unclean leader election from the profile", () => {
    const got = KAFKA_CLUSTER_PROFILES.map((profile) => {
      const p = parse(props(profile.name));
      return [profile.name, p.get("min.insync.replicas"), p.get("unclean.leader.election.enable")];
    });
    expect(got).toEqual([
      ["default", "2", "false"],
      ["minisr1", "1", "false"],
      ["unclean", "1", "true"],
    ]);
  });

  it("splits the unclean profile into three brokers and one controller", () => {
    expect(nodeRoles("default")).toEqual(["broker,controller", "broker,controller", "broker,controller"]);
    expect(nodeRoles("unclean")).toEqual(["broker", "broker", "broker", "controller"]);
    const base = {
      host: "10.213.7.2",
      clientPort: 9092,
      controllerPort: 9093,
      voters: "4@10.213.7.5:9093",
      logDir: "/tmp/x",
      profile: "unclean",
    };
    const broker = parse(clusterServerProperties({ ...base, nodeId: 1, role: "broker" }));
    expect(broker.get("process.roles")).toBe("broker");
    expect(broker.get("listeners")).toBe("PLAINTEXT://10.213.7.2:9092");
    expect(broker.get("advertised.listeners")).toBe("PLAINTEXT://10.213.7.2:9092");
    expect(broker.get("controller.quorum.voters")).toBe("4@10.213.7.5:9093");
    const controller = parse(
      clusterServerProperties({ ...base, host: "10.213.7.5", nodeId: 4, role: "controller" }),
    );
    expect(controller.get("process.roles")).toBe("controller");
    expect(controller.get("listeners")).toBe("CONTROLLER://10.213.7.5:9093");
    expect(controller.has("advertised.listeners")).toBe(false);
  });

  it("runs each JVM with the cluster's smaller heap, once", () => {
    const args = clusterServerArgs({
      classpath: "cp",
      log4jFile: "l",
      logsDir: "d",
      propertiesFile: "p",
      label: "x",
    });
    expect(args.filter((a) => a.startsWith("-Xm"))).toEqual(["-Xms128m", "-Xmx384m"]);
    expect(args.slice(-2)).toEqual(["kafka.Kafka", "p"]);
  });
});
