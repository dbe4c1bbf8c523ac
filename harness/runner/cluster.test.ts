/**
 * A run on a cluster it starts itself (`server: spawn` + `serverCluster`): a real 3-node JetStream
 * cluster (the machine's nats-server, a few seconds to start), an R3 stream, its leader SIGKILLed
 * while producing and restarted; the run is judged (see expectJudged), the fault log names the node
 * that led the stream, and nothing of the cluster is left after the run. The same with the members
 * in network namespaces (root and `ip`; skipped otherwise) and the leader partitioned off instead:
 * judged, the cut named in the fault log, no namespace left.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jetstreamFactory } from "../../adapters/jetstream/descriptor.js";
import { servicesRequired } from "../../adapters/test/services.js";
import { checkHistoryFile } from "../../checkers/index.js";
import type { RunResult } from "../../core/results.js";
import type { Anomaly } from "../../core/verdict.js";
import { findHostNetworks, hostsUnavailable } from "../hosts/index.js";
import { serviceDefinition } from "../services/registry.js";
import { parseWorkloadText } from "../workload/index.js";
import { CLUSTER_SERVICES } from "./cluster.js";
import { executeRun } from "./index.js";
import { CLUSTER_ADAPTERS } from "./plan.js";

const home = mkdtempSync(join(tmpdir(), "bb-run-cluster-"));
const missing = serviceDefinition("jetstream-cluster").missing({
  env: process.env,
  cacheDir: join(home, "cache"),
});
const skip = missing !== null && !servicesRequired();

afterAll(() => rmSync(home, { recursive: true, force: true }));

/** What a broker that loses acknowledged writes produces in a history; anything else is ours. */
const LOSS_ANOMALIES: readonly Anomaly[] = ["lost", "inconsistent-offset", "nonmonotonic-send"];

/**
 * What a run on a real cluster must show whatever the cluster did: it completed, a drained group
 * was judged over acknowledged messages, and every anomaly found is one a broker losing acknowledged
 * writes explains, each with witnesses. Whether JetStream kept everything it acknowledged is the
 * run's finding, not this test's to gate: it did in most runs here, but not in all (CI, 2026-12-05:
 * an R3 stream whose leader was partitioned off lost one acknowledged batch of 10, its offsets
 * later holding other messages; an earlier stop, 6,280 after a leader SIGKILL). A test failing on
 * those would test NATS, not brokerbench; a loss is printed with its first witness instead.
 */
function expectJudged(result: RunResult): void {
  expect(result.status, result.reason ?? "").toBe("completed");
  const verdict = result.verdict;
  if (verdict === null || verdict === undefined) throw new Error("the run has no verdict");
  expect(verdict.messages.acknowledged).toBeGreaterThan(0);
  expect(verdict.groups.map((g) => g.drained)).toEqual([true]);
  const findings = [...verdict.groups.map((g) => g.anomalies), verdict.log].flatMap((f) => Object.entries(f));
  for (const [anomaly, finding] of findings) {
    if (finding === undefined || finding.count === 0) continue;
    expect(finding.witnesses.length, `${anomaly} without a witness`).toBeGreaterThan(0);
    if (verdict.forbidden.includes(anomaly as Anomaly)) {
      expect(LOSS_ANOMALIES, `${anomaly}: ${finding.witnesses[0]?.message}`).toContain(anomaly);
    }
  }
  if (!verdict.valid) {
    const lost = verdict.groups.find((g) => (g.anomalies.lost?.count ?? 0) > 0)?.anomalies.lost;
    console.warn(
      `[jetstream-cluster] the cluster lost ${verdict.counts.lost} acknowledged message(s) ` +
        `(inconsistent offsets ${verdict.counts["inconsistent-offset"]}), e.g. ${lost?.witnesses[0]?.message}`,
    );
  }
}

describe("cluster services a run can start", () => {
  it("are planned with the adapters their definitions serve", () => {
    for (const name of CLUSTER_SERVICES) {
      expect(CLUSTER_ADAPTERS[name]).toEqual(serviceDefinition(name).adapters);
    }
    expect(Object.keys(CLUSTER_ADAPTERS).sort()).toEqual([...CLUSTER_SERVICES].sort());
  });
});

describe.skipIf(skip)(`a run on a jetstream-cluster${skip ? ` — SKIPPED: ${missing}` : ""}`, () => {
  it("kills the stream's leader, judges the run and leaves no cluster behind", async () => {
    if (missing !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${missing}`);
    const previousHome = process.env.BROKERBENCH_HOME;
    process.env.BROKERBENCH_HOME = home;
    try {
      const [point] = parseWorkloadText(
        [
          "server: spawn",
          "serverCluster: jetstream-cluster",
          "settings: { replicas: 3 }",
          "rate: 1000",
          "batchSize: 10",
          "durationS: 8",
          "warmupS: 0.5",
          "delivery: pull",
          "drainTimeoutS: 15",
          "faults:",
          "  - { at: 2, duration: 3, kind: broker-crash, target: 'leader-of:0/0' }",
        ].join("\n"),
        "cluster.yaml",
      );
      const dir = join(home, "run");
      const result = await executeRun({
        run: point!,
        runId: "cluster-run",
        factory: jetstreamFactory,
        settings: {},
        dir,
        history: true,
        check: (path, expect) => checkHistoryFile(path, { expect }),
      });
      expectJudged(result);
      const faultLog = result.faultLog ?? [];
      const struck = faultLog.find((l) => l.startsWith("broker-crash leader-of:0/0: node "));
      expect(struck, faultLog.join("\n")).toMatch(/^broker-crash leader-of:0\/0: node [123] killed$/);
      expect(result.faults.map((f) => f.kind)).toEqual(["broker-crash"]);
      const services = join(home, "services");
      expect(existsSync(services) ? readdirSync(services) : []).toEqual([]);
    } finally {
      if (previousHome === undefined) delete process.env.BROKERBENCH_HOME;
      else process.env.BROKERBENCH_HOME = previousHome;
    }
  }, 120_000);
});

const noHosts = missing ?? (await hostsUnavailable());
const skipNetns = noHosts !== null && !servicesRequired();

describe.skipIf(skipNetns)(
  `a run on a jetstream-cluster in network namespaces${skipNetns ? ` — SKIPPED: ${noHosts}` : ""}`,
  () => {
    it("cuts the stream's leader off, judges the run and leaves no namespace behind", async () => {
      if (noHosts !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${noHosts}`);
      const previousHome = process.env.BROKERBENCH_HOME;
      process.env.BROKERBENCH_HOME = home;
      try {
        const [point] = parseWorkloadText(
          [
            "server: spawn",
            "serverCluster: jetstream-cluster",
            "serverHosts: netns",
            "settings: { replicas: 3 }",
            "rate: 1000",
            "batchSize: 10",
            "durationS: 12",
            "warmupS: 0.5",
            "delivery: pull",
            "drainTimeoutS: 20",
            "faults:",
            "  - { at: 2, duration: 6, kind: partition, target: 'leader-of:0/0' }",
          ].join("\n"),
          "cluster.yaml",
        );
        const result = await executeRun({
          run: point!,
          runId: "cluster-partition-run",
          factory: jetstreamFactory,
          settings: {},
          dir: join(home, "partition-run"),
          history: true,
          check: (path, expect) => checkHistoryFile(path, { expect }),
        });
        expectJudged(result);
        const faultLog = result.faultLog ?? [];
        expect(faultLog, faultLog.join("\n")).toContain("partition healed");
        const cut = faultLog.find((l) => l.startsWith("partition leader-of:0/0: nodes "));
        expect(cut, faultLog.join("\n")).toMatch(
          /^partition leader-of:0\/0: nodes ([123]) \| (?!.*\1)[123],[123] cut apart$/,
        );
        expect(result.faults.map((f) => f.kind)).toEqual(["partition"]);
        const services = join(home, "services");
        expect(existsSync(services) ? readdirSync(services) : []).toEqual([]);
        // The run's namespaces were made by this process (test files run in processes of their own).
        const mine = (await findHostNetworks()).filter((n) => n.ownerPid === process.pid);
        expect(mine).toEqual([]);
      } finally {
        if (previousHome === undefined) delete process.env.BROKERBENCH_HOME;
        else process.env.BROKERBENCH_HOME = previousHome;
      }
    }, 180_000);
  },
);
