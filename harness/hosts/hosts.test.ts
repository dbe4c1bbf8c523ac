/**
 * Real namespaces (root and `ip` needed; otherwise skipped with the reason, or failed under
 * BROKERBENCH_REQUIRE_SERVICES=1): three hosts reach each other and are reached from the root
 * namespace over TCP; a partition [[1],[2,3]] cuts 1 from 2 and 3 both ways and nothing else; heal
 * restores it; destroy leaves no namespace and no bridge; a network whose maker died is removed as
 * a leftover, one with a process inside is not. The partition arithmetic is checked for every input.
 */
import { execFileSync, spawn } from "node:child_process";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { servicesRequired } from "../../adapters/test/services.js";
import {
  cutsOf,
  findHostNetworks,
  HostNetwork,
  hostsUnavailable,
  partitionProblem,
  removeLeftoverHosts,
} from "./index.js";

describe("partition groups", () => {
  it("cuts every host from exactly the hosts of the other groups, symmetrically", () => {
    const groupsArb = fc
      .uniqueArray(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 9 })
      .chain((hosts) =>
        fc
          .array(fc.integer({ min: 0, max: hosts.length - 1 }), {
            minLength: hosts.length,
            maxLength: hosts.length,
          })
          .map((g) => {
            const groups = new Map<number, number[]>();
            hosts.forEach((h, i) => {
              groups.set(g[i]!, [...(groups.get(g[i]!) ?? []), h]);
            });
            return [...groups.values()];
          }),
      )
      .filter((groups) => groups.length >= 2);
    fc.assert(
      fc.property(groupsArb, (groups) => {
        expect(partitionProblem(groups, 9)).toBeNull();
        const cuts = cutsOf(groups);
        const groupOf = (h: number) => groups.findIndex((g) => g.includes(h));
        for (const [h, others] of cuts) {
          for (let o = 1; o <= 9; o++) {
            const cut = others.includes(o);
            const apart = groupOf(o) >= 0 && groupOf(o) !== groupOf(h);
            expect(cut).toBe(apart);
            if (cut) expect(cuts.get(o)).toContain(h);
          }
        }
      }),
    );
  });

  it("refuses what is not a partition, naming why", () => {
    expect(partitionProblem([[1, 2, 3]], 3)).toBe("a partition needs at least two groups");
    expect(partitionProblem([[1], [4]], 3)).toBe("host 4 does not exist (hosts 1 … 3)");
    expect(partitionProblem([[1, 2], [2]], 3)).toBe("host 2 is in two groups");
    expect(partitionProblem([[1], []], 3)).toBe("a partition group is empty");
  });
});

const unavailable = await hostsUnavailable();
const skip = unavailable !== null && !servicesRequired();

/** Whether a TCP connection from `host` (0: the root namespace) to address:port opens within 2 s. */
function connects(network: HostNetwork, host: number, address: string, port: number): boolean {
  const probe = ["2", "bash", "-c", `exec 3<>/dev/tcp/${address}/${port}`];
  const [command, args] =
    host === 0
      ? ["timeout", probe]
      : ["ip", ["netns", "exec", network.host(host).namespace, "timeout", ...probe]];
  try {
    execFileSync(command, args as string[], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const LISTEN = "require('net').createServer((s) => s.end()).listen(7000, '0.0.0.0', () => console.log('up'))";

describe.skipIf(skip)(`hosts as network namespaces${skip ? ` — SKIPPED: ${unavailable}` : ""}`, () => {
  const made: HostNetwork[] = [];
  afterAll(async () => {
    for (const n of made) await n.destroy();
  });

  it("connects, partitions, heals and is destroyed without a trace", async () => {
    const network = await HostNetwork.create(3);
    made.push(network);
    const servers = network.hosts.map((h) => network.spawn(h.index, process.execPath, ["-e", LISTEN]));
    try {
      await Promise.all(
        servers.map((s) => new Promise<void>((resolve) => s.stdout?.once("data", () => resolve()))),
      );
      const reach = () =>
        [0, 1, 2, 3].map((from) => network.hosts.map((to) => connects(network, from, to.address, 7000)));
      expect(reach()).toEqual([
        [true, true, true],
        [true, true, true],
        [true, true, true],
        [true, true, true],
      ]);

      await network.partition([[1], [2, 3]]);
      expect(reach()).toEqual([
        [true, true, true],
        [true, false, false],
        [false, true, true],
        [false, true, true],
      ]);
      expect(network.cuts()).toEqual(
        new Map([
          [1, [2, 3]],
          [2, [1]],
          [3, [1]],
        ]),
      );
      // Another process sees the same cuts.
      const attached = await HostNetwork.attach(network.id, network.subnetOctet, 3);
      expect(attached.cuts()).toEqual(network.cuts());

      await network.heal();
      expect(reach()[1]).toEqual([true, true, true]);
      expect(reach()[2]).toEqual([true, true, true]);
    } finally {
      for (const s of servers) s.kill("SIGKILL");
    }
    await network.destroy();
    const names = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
    expect(names).not.toContain(`bb-${network.id}-`);
    const links = execFileSync("ip", ["link"], { encoding: "utf8" });
    expect(links).not.toContain(`bb-${network.id}`);
  });

  it("takes a host's veth away at once though a process still runs in it", async () => {
    const network = await HostNetwork.create(2);
    made.push(network);
    // A namespace outlives its name while a process is in it, and its veth with it.
    const sleeper = network.spawn(1, "sleep", ["30"]);
    try {
      await new Promise((r) => setTimeout(r, 200));
      await network.destroy();
      const links = execFileSync("ip", ["link"], { encoding: "utf8" });
      expect(links).not.toContain(`bb-${network.id}`);
    } finally {
      sleeper.kill("SIGKILL");
    }
  });

  it("removes a network whose maker died as a leftover, and keeps one a process runs in", async () => {
    const dead = await HostNetwork.create(2);
    made.push(dead);
    const busy = await HostNetwork.create(1);
    made.push(busy);
    // A pid that is gone: a process that ran and exited.
    const gone = spawn("true");
    const gonePid = gone.pid!;
    await new Promise((r) => gone.once("exit", r));
    for (const n of [dead, busy]) {
      execFileSync("ip", ["link", "set", n.bridge, "alias", `brokerbench hosts pid=${gonePid}`]);
    }
    const sleeper = busy.spawn(1, "sleep", ["60"]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const { removed, inUse } = await removeLeftoverHosts();
      expect(removed.map((n) => n.id)).toContain(dead.id);
      expect(removed.map((n) => n.id)).not.toContain(busy.id);
      expect(inUse.find((n) => n.id === busy.id)?.pids).toContain(sleeper.pid);
      expect((await findHostNetworks()).map((n) => n.id)).not.toContain(dead.id);
    } finally {
      sleeper.kill("SIGKILL");
      await new Promise((r) => sleeper.once("exit", r));
    }
  });
});
