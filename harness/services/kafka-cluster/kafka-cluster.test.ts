/**
 * A real 3-node Kafka (KRaft, each node broker+controller) started by the service framework on free
 * ports in a temporary BROKERBENCH_HOME: all three registered, a topic of replication factor 3 with
 * min.insync.replicas=2, its leader SIGKILLed and acks=all produce still acknowledged by the new
 * leader, the killed node restarted on its data directory and back in the ISR, then stop --wipe
 * leaving no process and no data. About 60 s here (three JVMs on a loaded 2-core machine). Then
 * the `unclean` profile in network namespaces (root and `ip`; skipped otherwise): three brokers and
 * a separate controller, each in its own namespace on its own address; with the followers cut off
 * from the leader and the controller, the ISR shrinks to the leader alone (what an unclean election
 * needs, and what the combined topology cannot show); healed, it grows back; stop removes the
 * namespaces.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Admin, Producer } from "@platformatic/kafka";
import { afterAll, describe, expect, it } from "vitest";
import { servicesRequired } from "../../../adapters/test/services.js";
import { hostsUnavailable } from "../../hosts/index.js";
import { serviceStatus, startService, stopService } from "../manage.js";
import { processCondition } from "../pids.js";
import { serviceDefinition } from "../registry.js";
import { brokerbenchHome, cacheDir } from "../state.js";
import { kafkaPartitionLeader } from "./kafka-cluster.js";

const sharedCache = cacheDir(brokerbenchHome(process.env));
const home = mkdtempSync(join(tmpdir(), "bb-kafka-cluster-"));
mkdirSync(sharedCache, { recursive: true });
symlinkSync(sharedCache, join(home, "cache"));
const env = { ...process.env, BROKERBENCH_HOME: home };
const INSTANCE = "kafka-cluster-test";

const missing = serviceDefinition("kafka-cluster").missing({ env, cacheDir: sharedCache });
const skip = missing !== null && !servicesRequired();

async function isr(address: string, topic: string): Promise<number[]> {
  const admin = new Admin({ clientId: "bb-cluster-test", bootstrapBrokers: [address] });
  try {
    const md = await admin.metadata({ topics: [topic], forceUpdate: true });
    return [...(md.topics.get(topic)?.partitions[0]?.isr ?? [])].sort();
  } finally {
    await admin.close();
  }
}

async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await f().catch(() => undefined);
    if (last !== undefined && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} not within ${ms} ms (last: ${JSON.stringify(last)})`);
}

afterAll(async () => {
  await stopService(INSTANCE, { env, wipe: true, graceMs: 10_000 }).catch(() => {});
  rmSync(home, { recursive: true, force: true });
});

describe.skipIf(skip)(`the kafka-cluster service${skip ? ` — SKIPPED: ${missing}` : ""}`, () => {
  it("keeps acks=all produce going when the leader dies, takes the node back, and wipes", async () => {
    if (missing !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${missing}`);
    const cluster = await startService("kafka-cluster", { env, port: 0, instance: INSTANCE });
    expect(cluster.nodes.map((n) => n.id)).toEqual(["1", "2", "3"]);
    const addresses = cluster.nodes.map((n) => `127.0.0.1:${n.ports.client}`);
    expect(cluster.settings).toEqual({ url: addresses.join(","), replicas: "3" });
    expect(new Set(cluster.nodes.flatMap((n) => [n.ports.client, n.ports.controller])).size).toBe(6);

    const topic = "bb-cluster-survives";
    const admin = new Admin({ clientId: "bb-cluster-test", bootstrapBrokers: addresses });
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 3 });
    const described = await admin.describeConfigs({
      resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ["min.insync.replicas"] }],
    });
    await admin.close();
    expect(described[0]?.configs.find((c) => c.name === "min.insync.replicas")?.value).toBe("2");
    expect(
      await until(
        "a full ISR",
        () => isr(addresses[0]!, topic),
        (v) => v.length === 3,
        30_000,
      ),
    ).toEqual([1, 2, 3]);

    const producer = new Producer({
      clientId: "bb-cluster-test",
      bootstrapBrokers: addresses,
      acks: -1,
      retries: 60,
      retryDelay: 500,
    });
    try {
      await producer.send({ messages: [{ topic, value: Buffer.from("before") }] });
      const leader = await kafkaPartitionLeader(addresses, topic, 0);
      const victim = cluster.nodes.find((n) => n.id === String(leader))!;
      await cluster.kill(victim.id);
      expect(serviceStatus(env).find((s) => s.instance === INSTANCE)?.condition).toBe("degraded");

      // Two replicas left, min.insync.replicas 2: the new leader acknowledges acks=all.
      const survivors = addresses.filter((_, i) => String(i + 1) !== victim.id);
      const next = await until(
        "a new leader",
        () => kafkaPartitionLeader(survivors, topic, 0),
        (l) => l !== leader,
        30_000,
      );
      expect(next).not.toBe(leader);
      await producer.send({ messages: [{ topic, value: Buffer.from("after") }] });

      await cluster.restart(victim.id);
      expect(cluster.nodes.find((n) => n.id === victim.id)?.condition).toBe("running");
      expect(
        await until(
          "the ISR back to 3",
          () => isr(survivors[0]!, topic),
          (v) => v.length === 3,
          60_000,
        ),
      ).toEqual([1, 2, 3]);
    } finally {
      await producer.close();
    }

    const pids = cluster.nodes.map((n) => n.pid!);
    const report = await stopService(INSTANCE, { env, wipe: true, graceMs: 20_000 });
    expect(report?.ended.map((e) => e.id).sort()).toEqual(["1", "2", "3"]);
    for (const pid of pids) expect(processCondition({ pid, startTime: null })).toBe("gone");
    const dir = join(home, "services", INSTANCE);
    expect(existsSync(join(dir, "data"))).toBe(false);
    expect(existsSync(join(dir, "state.json"))).toBe(false);
    expect(readdirSync(dir)).toEqual(["logs"]);
  }, 300_000);
});

const SPLIT_INSTANCE = "kafka-cluster-split-test";
const noHosts = missing ?? (await hostsUnavailable());
const skipSplit = noHosts !== null && !servicesRequired();

afterAll(async () => {
  await stopService(SPLIT_INSTANCE, { env, wipe: true, graceMs: 10_000 }).catch(() => {});
});

describe.skipIf(skipSplit)(
  `the kafka-cluster unclean profile in network namespaces${skipSplit ? ` — SKIPPED: ${noHosts}` : ""}`,
  () => {
    it("shrinks the ISR to the leader alone when its followers are cut off, and grows it back", async () => {
      if (noHosts !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${noHosts}`);
      const cluster = await startService("kafka-cluster", {
        env,
        port: 0,
        instance: SPLIT_INSTANCE,
        profile: "unclean",
        hosts: "netns",
      });
      const network = cluster.network!;
      expect(cluster.nodes.map((n) => [n.id, Object.keys(n.ports).sort()])).toEqual([
        ["1", ["client", "controller"]],
        ["2", ["client", "controller"]],
        ["3", ["client", "controller"]],
        ["4", ["controller"]],
      ]);
      for (const [i, node] of cluster.nodes.entries()) {
        expect(node.host).toBe(network.host(i + 1).address);
        const ns = execFileSync("ip", ["netns", "identify", String(node.pid)], { encoding: "utf8" }).trim();
        expect(ns).toBe(network.host(i + 1).namespace);
      }
      const addresses = cluster.nodes.slice(0, 3).map((n) => `${n.host}:${n.ports.client}`);
      expect(cluster.settings).toEqual({ url: addresses.join(","), replicas: "3" });

      const topic = "bb-cluster-isr-shrinks";
      const admin = new Admin({ clientId: "bb-cluster-test", bootstrapBrokers: addresses });
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 3 });
      await admin.close();
      await until(
        "a full ISR",
        () => isr(addresses[0]!, topic),
        (v) => v.length === 3,
        60_000,
      );
      const leader = await kafkaPartitionLeader(addresses, topic, 0);
      const followers = [1, 2, 3].filter((n) => n !== leader);
      await network.partition([followers, [leader, 4]]);
      const alone = await until(
        "the ISR down to the leader",
        () => isr(addresses[leader - 1]!, topic),
        (v) => v.length === 1,
        60_000,
      );
      expect(alone).toEqual([leader]);
      await network.heal();
      await until(
        "the ISR back to 3",
        () => isr(addresses[leader - 1]!, topic),
        (v) => v.length === 3,
        90_000,
      );

      await stopService(SPLIT_INSTANCE, { env, wipe: true, graceMs: 20_000 });
      expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(`bb-${network.id}-`);
    }, 300_000);
  },
);
