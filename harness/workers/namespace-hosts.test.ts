/**
 * The same run from one "host" and from three (issue 17, part 4): network namespaces on this
 * machine, a private nats-server in its own namespace, a worker per namespace reached over the
 * bridge with a token. Needs root, `ip` and nats-server: otherwise skipped with the reason; under
 * BROKERBENCH_REQUIRE_SERVICES=1 a missing one fails (CI runs as root and installs them).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAdapter } from "../../adapters/registry.js";
import { servicesRequired } from "../../adapters/test/services.js";
import { checkHistoryFile } from "../../checkers/index.js";
import { hostsUnavailable } from "../hosts/index.js";
import { parseWorkloadText } from "../workload/index.js";
import { executeDistributedRun } from "./coordinator.js";
import { NamespaceHosts } from "./namespace-hosts.js";

function natsServerMissing(): string | null {
  try {
    execFileSync("nats-server", ["--version"], { stdio: "ignore" });
    return null;
  } catch {
    return "nats-server is not installed";
  }
}

const missing = (await hostsUnavailable()) ?? natsServerMissing();
const skip = missing !== null && !servicesRequired();

describe.skipIf(skip)(`distributed runs from namespace hosts${skip ? ` — SKIPPED: ${missing}` : ""}`, () => {
  let hosts: NamespaceHosts;
  let dir: string;
  beforeAll(async () => {
    if (missing !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${missing}`);
    hosts = await NamespaceHosts.start(3);
    dir = await mkdtemp(join(tmpdir(), "bb-ns-run-"));
  }, 120_000);
  afterAll(async () => {
    await hosts?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("gives the same verdict from 1 and from 3 hosts, each worker's clock checked", async () => {
    const run = (name: string, workers: number) =>
      executeDistributedRun(
        {
          run: parseWorkloadText(
            "producersPerTopic: 3\nconsumersPerGroup: 3\nrate: 3000\nbatchSize: 10\ndeliveryMode: at-most-once\ndurationS: 3\nwarmupS: 0.5\n",
            "ns.yaml",
          )[0]!,
          runId: name,
          factory: findAdapter("nats"),
          settings: { url: hosts.natsUrl },
          dir: join(dir, name),
          history: true,
          check: (path, expect) => checkHistoryFile(path, { expect }),
        },
        // A loaded machine's round trips reach tens of ms: the bound is not what this tests.
        { workers: hosts.clients.slice(0, workers), workerWaitS: 10, clockBoundMs: 100 },
      );
    const one = await run("one-host", 1);
    const three = await run("three-hosts", 3);
    for (const r of [one, three]) {
      expect(r.status, r.reason ?? "").toBe("completed");
      expect(r.verdict?.valid).toBe(true);
      expect(r.verdict?.forbidden).toEqual(one.verdict?.forbidden);
      expect(r.counts.deliveredMsgs["g1"]).toBeGreaterThan(0);
      expect(r.workers!.every((w) => w.clockUncertaintyMs !== null)).toBe(true);
    }
    expect(three.workers!.map((w) => w.address)).toEqual(hosts.clients.map((c) => c.address));
    expect(three.workers!.map((w) => w.sentMsgs! > 0)).toEqual([true, true, true]);
  }, 180_000);
});
