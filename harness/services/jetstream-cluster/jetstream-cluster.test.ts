/**
 * A real 3-node JetStream cluster (the machine's nats-server) started by the service framework on
 * free ports in a temporary BROKERBENCH_HOME: the jetstream adapter with replicas=3 creates an R3
 * stream, the stream leader is SIGKILLed and a publish is still acknowledged (two of three
 * replicas are a quorum), the node restarts on its store directory, and stop --wipe leaves no
 * process and no data. A few seconds. With `hosts: netns` (root and `ip`; skipped otherwise) each
 * node runs in a namespace of its own on its own address, a partition cutting the stream leader
 * off from the two others makes them elect a new leader that acknowledges publishes, and stop
 * removes the namespaces.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";
import { afterAll, describe, expect, it } from "vitest";
import { jetstreamFactory } from "../../../adapters/jetstream/descriptor.js";
import { streamName } from "../../../adapters/jetstream/streams.js";
import { servicesRequired } from "../../../adapters/test/services.js";
import { hostsUnavailable } from "../../hosts/index.js";
import { serviceStatus, startService, stopService } from "../manage.js";
import { processCondition } from "../pids.js";
import { serviceDefinition } from "../registry.js";
import { jetstreamStreamLeader } from "./jetstream-cluster.js";

const home = mkdtempSync(join(tmpdir(), "bb-jetstream-cluster-"));
const env = { ...process.env, BROKERBENCH_HOME: home };
const INSTANCE = "jetstream-cluster-test";
const missing = serviceDefinition("jetstream-cluster").missing({ env, cacheDir: join(home, "cache") });
const skip = missing !== null && !servicesRequired();

async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (ok(v)) return v;
      last = v;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not within ${ms} ms (last: ${JSON.stringify(last)})`);
}

afterAll(async () => {
  await stopService(INSTANCE, { env, wipe: true, graceMs: 5000 }).catch(() => {});
  rmSync(home, { recursive: true, force: true });
});

describe.skipIf(skip)(`the jetstream-cluster service${skip ? ` — SKIPPED: ${missing}` : ""}`, () => {
  it("keeps an R3 stream acknowledging publishes when its leader dies, takes the node back, and wipes", async () => {
    if (missing !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${missing}`);
    const cluster = await startService("jetstream-cluster", { env, port: 0, instance: INSTANCE });
    const urls = cluster.nodes.map((n) => `nats://127.0.0.1:${n.ports.client}`);
    expect(cluster.settings).toEqual({ url: urls.join(","), replicas: "3" });

    const topic = "bb-cluster-survives";
    const adapter = await jetstreamFactory.connect({ ...cluster.settings });
    try {
      await adapter.createTopic({ name: topic, partitions: 1 });
    } finally {
      await adapter.close();
    }
    const stream = streamName(topic);
    const leader = await jetstreamStreamLeader(urls, stream);
    const survivors = urls.filter((_, i) => String(i + 1) !== leader);
    const nc = await connect({ servers: survivors[0]!, reconnect: false });
    try {
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(stream);
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas?.length).toBe(2);

      await cluster.kill(leader);
      expect(serviceStatus(env).find((s) => s.instance === INSTANCE)?.condition).toBe("degraded");
      const next = await until(
        "a new stream leader",
        () => jetstreamStreamLeader(survivors, stream),
        (l) => l !== leader,
        20_000,
      );
      expect(next).not.toBe(leader);
      const js = nc.jetstream();
      const ack = await until(
        "an acknowledged publish",
        () => js.publish(topic, new Uint8Array([1])),
        () => true,
        20_000,
      );
      expect(ack.stream).toBe(stream);

      await cluster.restart(leader);
      const back = await until(
        "the restarted node current again",
        async () => (await jsm.streams.info(stream)).cluster?.replicas ?? [],
        (rs) => rs.length === 2 && rs.every((r) => r.current),
        30_000,
      );
      expect(back.map((r) => r.name)).toContain(`n${leader}`);
    } finally {
      await nc.close();
    }

    const pids = cluster.nodes.map((n) => n.pid!);
    const report = await stopService(INSTANCE, { env, wipe: true, graceMs: 5000 });
    expect(report?.ended.map((e) => e.id).sort()).toEqual(["1", "2", "3"]);
    for (const pid of pids) expect(processCondition({ pid, startTime: null })).toBe("gone");
    const dir = join(home, "services", INSTANCE);
    expect(existsSync(join(dir, "data"))).toBe(false);
    expect(readdirSync(dir)).toEqual(["logs"]);
  }, 120_000);
});

const NETNS_INSTANCE = "jetstream-cluster-netns-test";
const noHosts = missing ?? (await hostsUnavailable());
const skipNetns = noHosts !== null && !servicesRequired();

afterAll(async () => {
  await stopService(NETNS_INSTANCE, { env, wipe: true, graceMs: 5000 }).catch(() => {});
});

describe.skipIf(skipNetns)(
  `the jetstream-cluster service in network namespaces${skipNetns ? ` — SKIPPED: ${noHosts}` : ""}`,
  () => {
    it("runs each node on its own address, elects a new leader across a partition, and removes the namespaces", async () => {
      if (noHosts !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${noHosts}`);
      const cluster = await startService("jetstream-cluster", {
        env,
        port: 0,
        instance: NETNS_INSTANCE,
        hosts: "netns",
      });
      const network = cluster.network!;
      expect(network.hosts.map((h) => h.address)).toEqual(cluster.nodes.map((n) => n.host));
      for (const [i, node] of cluster.nodes.entries()) {
        const ns = execFileSync("ip", ["netns", "identify", String(node.pid)], { encoding: "utf8" }).trim();
        expect(ns).toBe(network.host(i + 1).namespace);
      }
      const urls = cluster.nodes.map((n) => `nats://${n.host}:${n.ports.client}`);
      expect(cluster.settings["url"]).toBe(urls.join(","));

      const topic = "bb-cluster-partitioned";
      const adapter = await jetstreamFactory.connect({ ...cluster.settings });
      try {
        await adapter.createTopic({ name: topic, partitions: 1 });
      } finally {
        await adapter.close();
      }
      const stream = streamName(topic);
      const leader = await jetstreamStreamLeader(urls, stream);
      const others = cluster.nodes.map((n) => Number(n.id)).filter((n) => String(n) !== leader);
      await network.partition([[Number(leader)], others]);
      const survivors = urls.filter((_, i) => String(i + 1) !== leader);
      const next = await until(
        "a new stream leader on the majority side",
        () => jetstreamStreamLeader(survivors, stream),
        (l) => l !== leader,
        30_000,
      );
      expect(others).toContain(Number(next));
      const nc = await connect({ servers: survivors[0]!, reconnect: false });
      try {
        const ack = await until(
          "an acknowledged publish",
          () => nc.jetstream().publish(topic, new Uint8Array([1])),
          () => true,
          20_000,
        );
        expect(ack.stream).toBe(stream);
      } finally {
        await nc.close();
      }
      await network.heal();

      await stopService(NETNS_INSTANCE, { env, wipe: true, graceMs: 5000 });
      const names = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
      expect(names).not.toContain(`bb-${network.id}-`);
      expect(execFileSync("ip", ["link"], { encoding: "utf8" })).not.toContain(`bb-${network.id}`);
    }, 120_000);
  },
);
