import { describe, expect, it } from "vitest";
import {
  clusterServerArgs,
  clusterServerProperties,
  KAFKA_CLUSTER_PROFILES,
  quorumVoters,
} from "./config.js";

const props = (profile: string) =>
  clusterServerProperties({
    nodeId: 2,
    host: "127.0.0.1",
    clientPort: 40002,
    controllerPort: 41002,
    voters: quorumVoters("127.0.0.1", [41001, 41002, 41003]),
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
