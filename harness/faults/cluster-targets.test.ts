/**
 * Cluster member targets as a workload writes them: every form round-trips through parse and
 * describe, and a workload that names a member it does not have is refused in one line naming
 * the field.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../core/errors.js";
import { parseWorkloadText } from "../workload/index.js";
import { FAULTS } from "./kinds.js";
import { describeTarget, parseTarget } from "./targets.js";

const memberForms = FAULTS["broker-crash"].targets;

describe("cluster member targets", () => {
  it("parse back to what describeTarget writes, for every node, topic and partition", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 1, max: 99 }).map((n) => `node:${n}`),
          fc.constant("node:random"),
          fc
            .tuple(fc.constantFrom("leader-of", "followers-of"), fc.nat(999), fc.nat(999))
            .map(([f, t, p]) => `${f}:${t}/${p}`),
        ),
        (text) => {
          const t = parseTarget(text, memberForms);
          expect(t).not.toBeNull();
          expect(describeTarget(t!)).toBe(text);
        },
      ),
    );
  });

  it("are not read from near misses", () => {
    for (const text of ["node:", "node:x", "leader-of:0", "leader-of:a/0", "followers-of:0/0/1", "node:1 "]) {
      expect(parseTarget(text, memberForms)).toBeNull();
    }
    expect(parseTarget("node:1", FAULTS["broker-pause"].targets)).toEqual({ form: "node", node: 1 });
    expect(parseTarget("broker", FAULTS["broker-pause"].targets)).toBeNull();
  });
});

const workload = (lines: string[]) =>
  ["rate: 100", "durationS: 10", "topics: 1", "partitions: 2", ...lines].join("\n");
const refusal = (text: string): string => {
  try {
    parseWorkloadText(text, "w.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("accepted");
};

describe("a workload's member faults", () => {
  it("are accepted on a cluster the run starts", () => {
    const [run] = parseWorkloadText(
      workload([
        "server: spawn",
        "serverCluster: kafka-cluster",
        "faults:",
        "  - { at: 1, duration: 2, kind: broker-pause, target: 'followers-of:0/1' }",
        "  - { at: 2, duration: 2, kind: broker-crash, target: node:3 }",
      ]),
      "w.yaml",
    );
    expect(run!.workload.faults.map((f) => f.target)).toEqual(["followers-of:0/1", "node:3"]);
  });

  it("are refused in one line naming the field when the member or partition does not exist", () => {
    const on = ["server: spawn", "serverCluster: jetstream-cluster", "faults:"];
    expect(
      refusal(workload([...on, "  - { at: 1, duration: 2, kind: broker-crash, target: node:4 }"])),
    ).toMatch(/faults\.0\.target.*node:4 does not exist \(3 members: node:1 … node:3\)/);
    expect(
      refusal(workload([...on, "  - { at: 1, duration: 2, kind: broker-pause, target: 'leader-of:0/2' }"])),
    ).toMatch(/faults\.0\.target.*partition 2 does not exist/);
    expect(
      refusal(workload([...on, "  - { at: 1, duration: 2, kind: broker-pause, target: broker }"])),
    ).toMatch(/faults\.0\.target.*"broker" is not a target of broker-pause/);
  });

  it("come from a nemesis schedule like any other target", () => {
    const [run] = parseWorkloadText(
      workload([
        "server: spawn",
        "serverCluster: kafka-cluster",
        "nemesis: { kind: broker-pause, target: 'leader-of:0/1', every: 2, duration: 1, seed: 7 }",
      ]),
      "w.yaml",
    );
    const faults = run!.workload.faults;
    expect(faults.map((f) => f.at)).toEqual([2, 4, 6, 8]);
    expect(new Set(faults.map((f) => `${f.kind} ${f.target}`))).toEqual(
      new Set(["broker-pause leader-of:0/1"]),
    );
    expect(
      refusal(
        workload([
          "server: spawn",
          "serverCluster: kafka-cluster",
          "nemesis: { kind: broker-pause, every: 5, duration: 2 }",
        ]),
      ),
    ).toMatch(/nemesis\.target.*broker-pause needs a target \(node:2 or node:random or leader-of:0\/0/);
  });

  it("need a cluster, and a cluster needs server: spawn", () => {
    expect(
      refusal(
        workload([
          "server: spawn",
          "faults:",
          "  - { at: 1, duration: 2, kind: broker-crash, target: node:1 }",
        ]),
      ),
    ).toMatch(/faults\.0\.target.*needs a cluster: server: spawn with serverCluster/);
    expect(refusal(workload(["serverCluster: kafka-cluster"]))).toMatch(
      /serverCluster.*only with server: spawn/,
    );
  });
});

describe("a workload's partitions", () => {
  const netns = ["server: spawn", "serverCluster: kafka-cluster", "serverHosts: netns"];

  it("take groups written as YAML or as text, and member targets, from faults and a nemesis", () => {
    const [run] = parseWorkloadText(
      workload([
        ...netns,
        "faults:",
        "  - { at: 1, duration: 2, kind: partition, target: [[1], [2, 3]] }",
        "  - { at: 4, duration: 2, kind: partition, target: '[[1,2],[3]]' }",
        "  - { at: 7, duration: 2, kind: partition, target: 'leader-of:0/1' }",
      ]),
      "w.yaml",
    );
    const targets = run!.workload.faults.map((f) => f.target);
    expect(targets).toEqual(["[[1],[2,3]]", "[[1,2],[3]]", "leader-of:0/1"]);
    expect(parseTarget(targets[0]!, FAULTS.partition.targets)).toEqual({
      form: "groups",
      groups: [[1], [2, 3]],
    });
    const [nemesis] = parseWorkloadText(
      workload([
        ...netns,
        "nemesis: { kind: partition, target: [[2], [1, 3]], every: 3, duration: 1, seed: 1 }",
      ]),
      "w.yaml",
    );
    expect(new Set(nemesis!.workload.faults.map((f) => f.target))).toEqual(new Set(["[[2],[1,3]]"]));
  });

  it("groups round-trip through describeTarget, for every split of up to 6 nodes", () => {
    fc.assert(
      fc.property(
        fc
          .shuffledSubarray([1, 2, 3, 4, 5, 6], { minLength: 2 })
          .chain((nodes) =>
            fc
              .integer({ min: 1, max: nodes.length - 1 })
              .map((cut) => [nodes.slice(0, cut), nodes.slice(cut)]),
          ),
        (groups) => {
          const t = parseTarget(JSON.stringify(groups), FAULTS.partition.targets);
          expect(t).toEqual({ form: "groups", groups });
          expect(describeTarget(t!)).toBe(JSON.stringify(groups));
        },
      ),
    );
  });

  it("are refused in one line: not a partition, a node that does not exist, a cluster on loopback", () => {
    const fault = (target: string) => `  - { at: 1, duration: 2, kind: partition, target: '${target}' }`;
    for (const bad of ["[[1,2,3]]", "[[1],[1,2]]", "[[1],[]]", "[[0],[1]]", "[1,2]"]) {
      expect(refusal(workload([...netns, "faults:", fault(bad)]))).toMatch(
        /faults\.0\.target.*is not a target of partition; use \[\[1\],\[2,3\]\]/,
      );
    }
    expect(refusal(workload([...netns, "faults:", fault("[[1],[4]]")]))).toMatch(
      /faults\.0\.target.*node 4 does not exist \(nodes 1 … 3\)/,
    );
    // Kafka's unclean profile has a fourth process, its controller: a partition may name it.
    const [unclean] = parseWorkloadText(
      workload([...netns, "serverProfile: unclean", "faults:", fault("[[1,4],[2,3]]")]),
      "w.yaml",
    );
    expect(unclean!.workload.faults[0]!.target).toBe("[[1,4],[2,3]]");
    expect(
      refusal(workload(["server: spawn", "serverCluster: kafka-cluster", "faults:", fault("[[1],[2,3]]")])),
    ).toMatch(
      /faults\.0\.kind.*partition needs a cluster in network namespaces \(serverCluster with serverHosts: netns/,
    );
    expect(refusal(workload(["server: spawn", "serverHosts: netns"]))).toMatch(
      /serverHosts.*only a cluster \(serverCluster\) runs its members in namespaces/,
    );
  });
});
