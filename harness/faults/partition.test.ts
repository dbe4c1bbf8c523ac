/**
 * What a partition fault asks of the cluster, over the ClusterControl seam (the real one, members
 * in namespaces, is run by workloads/partitions.yaml and the jetstream-cluster service test): the
 * groups a target means when the fault starts, the heal at its end, the clients stepping away and
 * back around it, the fault-log lines; refused on a cluster whose members share 127.0.0.1; and
 * node:random drawn from the cluster's (seeded) generator.
 */
import { describe, expect, it } from "vitest";
import { type ClusterControl, CRASH, endPartition, startMemberFault, startPartition } from "./cluster.js";
import type { FaultEnv } from "./env.js";
import { type FaultSpec, faultSchema } from "./kinds.js";
import type { FaultTarget } from "./targets.js";
import { parseTarget } from "./targets.js";

function fakeCluster(hosts: number | null, leader = "2", draw = 0.5) {
  const calls: string[] = [];
  const cluster: ClusterControl = {
    nodes: ["1", "2", "3"],
    random: () => draw,
    hosts,
    leaderOf: async () => leader,
    kill: async (n) => void calls.push(`kill ${n}`),
    restart: async (n) => void calls.push(`restart ${n}`),
    pause: async (n) => void calls.push(`pause ${n}`),
    resume: async (n) => void calls.push(`resume ${n}`),
    partition: async (groups) => void calls.push(`partition ${JSON.stringify(groups)}`),
    heal: async () => void calls.push("heal"),
    note: (line) => void calls.push(`note ${line}`),
    membersAway: async () => void calls.push("away"),
    membersBack: async () => void calls.push("back"),
  };
  const env = { cluster: () => cluster } as unknown as FaultEnv;
  return { env, calls };
}

const fault = (kind: string, target: string): [FaultSpec, FaultTarget] => {
  const f = faultSchema.parse({ at: 1, duration: 2, kind, target });
  return [f, parseTarget(f.target, ["groups", "node", "leader-of", "followers-of"])!];
};

describe("a partition fault", () => {
  it("cuts the written groups, and heals them at its end with the clients back after", async () => {
    const { env, calls } = fakeCluster(3);
    const [f, t] = fault("partition", "[[1],[2,3]]");
    await startPartition(f, t as never, env);
    await endPartition(f, env);
    expect(calls).toEqual([
      "away",
      "note partition [[1],[2,3]]: nodes 1 | 2,3 cut apart",
      "partition [[1],[2,3]]",
      "heal",
      "note partition healed",
      "back",
    ]);
  });

  it("isolates the leader asked for at its start from every other host, a separate controller too", async () => {
    const { env, calls } = fakeCluster(4, "2");
    const [f, t] = fault("partition", "leader-of:0/0");
    await startPartition(f, t as never, env);
    expect(calls).toContain("partition [[2],[1,3,4]]");
    const followers = fakeCluster(4, "3");
    const [g, u] = fault("partition", "followers-of:0/0");
    await startPartition(g, u as never, followers.env);
    expect(followers.calls).toContain("partition [[1,2],[3,4]]");
  });

  it("is refused on a cluster whose members share 127.0.0.1, before anything is cut", async () => {
    const { env, calls } = fakeCluster(null);
    const [f, t] = fault("partition", "[[1],[2,3]]");
    await expect(startPartition(f, t as never, env)).rejects.toThrow(
      "partition: the cluster's members share 127.0.0.1; start it with serverHosts: netns",
    );
    expect(calls).toEqual([]);
  });
});

describe("node:random", () => {
  it("is drawn from the cluster's generator (the nemesis seed), not Math.random", async () => {
    for (const [draw, node] of [
      [0, "1"],
      [0.5, "2"],
      [0.99, "3"],
    ] as const) {
      const { env, calls } = fakeCluster(null, "1", draw);
      const [f, t] = fault("broker-crash", "node:random");
      await startMemberFault(CRASH, f, t as never, env);
      expect(calls).toContain(`kill ${node}`);
    }
  });
});
