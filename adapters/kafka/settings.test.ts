import { describe, expect, it } from "vitest";
import { UsageError } from "../../core/errors.js";
import { parseSettings, parseTopicConfigs } from "./settings.js";

describe("kafka replication settings", () => {
  it("default to one replica and no topic configs", () => {
    const s = parseSettings({});
    expect(s.replicas).toBe(1);
    expect(s.topicConfigs).toEqual([]);
  });

  it("read replicas and name=value topic configs", () => {
    const s = parseSettings({
      replicas: "3",
      topicConfigs: "min.insync.replicas=2, unclean.leader.election.enable=true",
    });
    expect(s.replicas).toBe(3);
    expect(s.topicConfigs).toEqual([
      { name: "min.insync.replicas", value: "2" },
      { name: "unclean.leader.election.enable", value: "true" },
    ]);
  });

  it("refuse a malformed pair or replica count in one line naming the setting", () => {
    expect(() => parseTopicConfigs("min.insync.replicas")).toThrow(UsageError);
    expect(() => parseTopicConfigs("min.insync.replicas")).toThrow(
      /topicConfigs=.*"min.insync.replicas" is not name=value/,
    );
    expect(() => parseSettings({ replicas: "0" })).toThrow(/setting replicas=0 is not an integer ≥ 1/);
  });
});
