/**
 * A run on a cluster it starts itself (`server: spawn` + `serverCluster`): a real 3-node JetStream
 * cluster (the machine's nats-server, a few seconds to start), an R3 stream, its leader SIGKILLed
 * while producing and restarted; the checker finds nothing acknowledged lost, the fault log names
 * the node that led the stream, and nothing of the cluster is left after the run. The same with the
 * members in network namespaces (root and `ip`; skipped otherwise) and the leader partitioned off
 * instead: nothing acknowledged lost, the cut named in the fault log, no namespace left.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jetstreamFactory } from "../../adapters/jetstream/descriptor.js";
import { servicesRequired } from "../../adapters/test/services.js";
import { checkHistoryFile } from "../../checkers/index.js";
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

describe("cluster services a run can start", () => {
  it("are planned with the adapters their definitions serve", () => {
    for (const name of CLUSTER_SERVICES) {
      expect(CLUSTER_ADAPTERS[name]).toEqual(serviceDefinition(name).adapters);
    }
    expect(Object.keys(CLUSTER_ADAPTERS).sort()).toEqual([...CLUSTER_SERVICES].sort());
  });
});

describe.skipIf(skip)(`a run on a jetstream-cluster${skip ? ` — SKIPPED: ${missing}` : ""}`, () => {
  it("kills the stream's leader, loses nothing acknowledged and leaves no cluster behind", async () => {
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
      expect(result.status, result.reason ?? "").toBe("completed");
      expect(result.verdict?.valid, JSON.stringify(result.verdict).slice(0, 3000)).toBe(true);
      expect(result.verdict?.counts.lost).toBe(0);
      expect(result.verdict?.messages.acknowledged).toBeGreaterThan(0);
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
    it("cuts the stream's leader off, loses nothing acknowledged and leaves no namespace behind", async () => {
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
        expect(result.status, result.reason ?? "").toBe("completed");
        expect(result.verdict?.valid, JSON.stringify(result.verdict).slice(0, 3000)).toBe(true);
        expect(result.verdict?.counts.lost).toBe(0);
        expect(result.verdict?.messages.acknowledged).toBeGreaterThan(0);
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
