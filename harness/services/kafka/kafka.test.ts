/**
 * A real Kafka (4.4.0, KRaft) started by the service framework on free ports in a temporary
 * BROKERBENCH_HOME: start, status, a produced record surviving kill + restart (same ports, same data
 * directory), pause/resume, and a clean stop from the state file alone. The jars come from the
 * machine's shared cache (~/.brokerbench/cache, or $BROKERBENCH_HOME's when CI sets one), so Maven
 * resolves them once per machine, not per test run. About 30 s.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Admin, Consumer, Producer } from "@platformatic/kafka";
import { afterAll, describe, expect, it } from "vitest";
import { servicesRequired } from "../../../adapters/test/services.js";
import { serviceStatus, startService, stopService } from "../manage.js";
import { serviceDefinition } from "../registry.js";
import { brokerbenchHome, cacheDir } from "../state.js";
import { kafkaServes } from "./kafka.js";

const sharedCache = cacheDir(brokerbenchHome(process.env));
const home = mkdtempSync(join(tmpdir(), "bb-kafka-service-"));
mkdirSync(sharedCache, { recursive: true });
symlinkSync(sharedCache, join(home, "cache"));
const env = { ...process.env, BROKERBENCH_HOME: home };

const missing = serviceDefinition("kafka").missing({ env, cacheDir: sharedCache });
const skip = missing !== null && !servicesRequired();

async function endOffset(address: string, topic: string): Promise<bigint | undefined> {
  const consumer = new Consumer({
    clientId: "bb-service-test",
    groupId: `bb-service-test-${process.pid}`,
    bootstrapBrokers: [address],
  });
  try {
    return (await consumer.listOffsets({ topics: [topic] })).get(topic)?.[0];
  } finally {
    await consumer.close();
  }
}

async function serves(address: string): Promise<boolean> {
  return kafkaServes(address, null).then(
    () => true,
    () => false,
  );
}

afterAll(async () => {
  await stopService("kafka", { env, wipe: true, graceMs: 10_000 }).catch(() => {});
  rmSync(home, { recursive: true, force: true });
});

describe.skipIf(skip)(`the kafka service${skip ? ` — SKIPPED: ${missing}` : ""}`, () => {
  it("starts, keeps a record across kill and restart, pauses, and stops cleanly from its state", async () => {
    if (missing !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${missing}`);
    const progress: string[] = [];
    const kafka = await startService("kafka", { env, port: 0, progress: (l) => progress.push(l) });
    const node = kafka.nodes[0]!;
    const { client, controller } = node.ports;
    expect(kafka.address).toBe(`127.0.0.1:${client}`);
    expect(kafka.settings).toEqual({ url: `127.0.0.1:${client}` });
    expect(controller).not.toBe(client);
    expect(progress.some((l) => /^formatting .*node-1 \(cluster [\w-]{22}\)$/.test(l))).toBe(true);
    expect(node.dataDir).toBe(join(home, "services", "kafka", "data", "node-1"));
    expect(readFileSync(join(node.dataDir, "meta.properties"), "utf8")).toMatch(/cluster\.id=/);
    expect(serviceStatus(env)).toMatchObject([
      { instance: "kafka", condition: "running", nodes: [{ pid: node.pid }] },
    ]);

    const topic = "bb-service-survives";
    const admin = new Admin({ clientId: "bb-service-test", bootstrapBrokers: [kafka.address] });
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    await admin.close();
    const producer = new Producer({
      clientId: "bb-service-test",
      bootstrapBrokers: [kafka.address],
      acks: -1,
    });
    await producer.send({ messages: [{ topic, value: Buffer.from("kept") }] });
    await producer.close();
    expect(await endOffset(kafka.address, topic)).toBe(1n);

    // SIGKILL: nothing answers, and status does not call it running.
    await kafka.kill();
    expect(await serves(kafka.address)).toBe(false);
    expect(serviceStatus(env)[0]?.condition).toBe("stale");

    // Same ports, same data directory: the record is still there.
    await kafka.restart();
    expect(kafka.nodes[0]).toMatchObject({ condition: "running", ports: { client, controller } });
    expect(kafka.nodes[0]!.pid).not.toBe(node.pid);
    expect(await endOffset(kafka.address, topic)).toBe(1n);

    await kafka.pause();
    expect(serviceStatus(env)[0]?.condition).toBe("paused");
    expect(await serves(kafka.address)).toBe(false);
    await kafka.resume();
    expect(await serves(kafka.address)).toBe(true);

    // Another invocation: only state.json. SIGTERM is a clean shutdown, well within the grace.
    const report = await stopService("kafka", { env });
    expect(report?.ended).toEqual([{ id: "1", how: "term" }]);
    expect(await serves(kafka.address)).toBe(false);
    const log = readFileSync(node.logFile, "utf8");
    expect(log.slice(log.lastIndexOf("=== brokerbench: launching"))).toMatch(
      /Kafka Server started[\s\S]*shut down completely/,
    );
    expect(serviceStatus(env)).toMatchObject([{ instance: "kafka", condition: "stopped" }]);
  }, 240_000);
});
