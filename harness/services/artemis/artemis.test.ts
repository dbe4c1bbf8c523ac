/**
 * The Artemis service against the real broker: a private instance on free ports (its own
 * BROKERBENCH_HOME; the distribution cache is shared with the user's, so it is fetched once),
 * killed and restarted on its journal, stopped and started again, wiped. What a run relies on:
 * a message the broker accepted survives a SIGKILL, and the adapter's `durable` default is what
 * makes it survive (AMQP messages are not durable unless marked).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artemisFactory } from "../../../adapters/artemis/index.js";
import type { Adapter } from "../../../adapters/contract.js";
import { RESOURCE_PREFIX } from "../../../adapters/contract.js";
import { servicesRequired } from "../../../adapters/test/index.js";
import { encodePayload } from "../../../core/payload.js";
import type { ServiceInstance } from "../definition.js";
import { serviceStatus, startService } from "../manage.js";
import { brokerbenchHome, cacheDir } from "../state.js";
import { artemisService } from "./artemis.js";

const realCache = cacheDir(brokerbenchHome(process.env));
const home = mkdtempSync(join(tmpdir(), "bb-artemis-service-"));
mkdirSync(realCache, { recursive: true });
symlinkSync(realCache, join(home, "cache"));
const env = { ...process.env, BROKERBENCH_HOME: home };
const lacks = artemisService.missing({ env, cacheDir: join(home, "cache") });
const required = servicesRequired();

/** Sends `count` messages in batches of 50 (at-least-once: each batch accepted); returns how many were acked. */
async function produce(adapter: Adapter, topic: string, count: number): Promise<number> {
  const producer = await adapter.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
  try {
    for (let seq = 0; seq < count; seq += 50) {
      const batch = Array.from({ length: Math.min(50, count - seq) }, (_, i) => ({
        topic,
        key: null,
        payload: encodePayload(100, 1, seq + i, Date.now()),
      }));
      await producer.send(batch);
    }
    return count;
  } finally {
    await producer.close();
  }
}

/** Reads the group's queue until `waitMs` passes with nothing new; returns how many arrived. */
async function consumeAll(adapter: Adapter, topic: string, group: string, waitMs = 1000): Promise<number> {
  const consumer = await adapter.createConsumer({
    process: 2,
    group,
    topics: [topic],
    delivery: "pull",
    mode: "at-least-once",
    start: "latest",
    prefetch: 500,
  });
  if (consumer.delivery !== "pull") throw new Error("pull consumer expected");
  let got = 0;
  try {
    for (;;) {
      const batch = await consumer.poll(500, waitMs);
      if (batch.length === 0) return got;
      await consumer.commit(batch);
      got += batch.length;
    }
  } finally {
    await consumer.close();
  }
}

/** Creates the group's queue (a consumer that leaves at once), so what is sent next is kept for it. */
async function subscribe(adapter: Adapter, topic: string, group: string): Promise<void> {
  const c = await adapter.createConsumer({
    process: 3,
    group,
    topics: [topic],
    delivery: "pull",
    mode: "at-least-once",
    start: "latest",
    prefetch: 1,
  });
  await c.close();
}

if (lacks !== null && required) {
  describe("artemis service", () => {
    it("needs java (and mvn for the first fetch)", () => {
      throw new Error(`cannot start artemis: ${lacks} and BROKERBENCH_REQUIRE_SERVICES=1`);
    });
  });
}

describe.skipIf(lacks !== null)(
  `artemis service on free ports${lacks !== null ? ` — SKIPPED: cannot start artemis: ${lacks}` : ""}`,
  () => {
    let instance: ServiceInstance;
    beforeAll(async () => {
      instance = await startService("artemis", { instance: "artemis-test", port: 0, env });
    }, 120_000);
    afterAll(async () => {
      await instance?.stop({ wipe: true });
      rmSync(home, { recursive: true, force: true });
    }, 60_000);

    it("serves AMQP on the port it chose, with the adapter settings it reports", async () => {
      expect(instance.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(instance.address).not.toBe("127.0.0.1:61616");
      expect(instance.settings.url).toBe(`amqp://artemis:artemis@${instance.address}`);
      const adapter = await artemisFactory.connect(instance.settings);
      try {
        const versions = await adapter.versions();
        expect(versions["apache-activemq-artemis"]).toBe("2.40.0");
      } finally {
        await adapter.close();
      }
      const [status] = serviceStatus(env);
      expect(status?.instance).toBe("artemis-test");
      expect(status?.condition).toBe("running");
    });

    it("keeps accepted durable messages across a SIGKILL; non-durable ones are gone", {
      timeout: 120_000,
    }, async () => {
      const durableTopic = `${RESOURCE_PREFIX}svc-durable-${process.pid}`;
      const transientTopic = `${RESOURCE_PREFIX}svc-transient-${process.pid}`;
      let adapter = await artemisFactory.connect(instance.settings);
      const transient = await artemisFactory.connect({ ...instance.settings, durable: "false" });
      try {
        await adapter.createTopic({ name: durableTopic, partitions: 1 });
        await transient.createTopic({ name: transientTopic, partitions: 1 });
        await subscribe(adapter, durableTopic, "g1");
        await subscribe(transient, transientTopic, "g1");
        expect(await produce(adapter, durableTopic, 500)).toBe(500);
        expect(await produce(transient, transientTopic, 500)).toBe(500);
      } finally {
        await adapter.close().catch(() => {});
        await transient.close().catch(() => {});
      }
      await instance.kill();
      expect(instance.nodes[0]?.condition).toBe("killed");
      await instance.restart();
      adapter = await artemisFactory.connect(instance.settings);
      try {
        expect(await consumeAll(adapter, durableTopic, "g1")).toBe(500);
        expect(await consumeAll(adapter, transientTopic, "g1")).toBe(0);
      } finally {
        await adapter.deleteTopic(durableTopic);
        await adapter.deleteTopic(transientTopic);
        await adapter.close();
      }
    });

    it("stops and starts again on the same data; clean removes every bb- address", {
      timeout: 120_000,
    }, async () => {
      const topic = `${RESOURCE_PREFIX}svc-stop-${process.pid}`;
      let adapter = await artemisFactory.connect(instance.settings);
      try {
        await adapter.createTopic({ name: topic, partitions: 1 });
        await subscribe(adapter, topic, "g1");
        await produce(adapter, topic, 100);
      } finally {
        await adapter.close();
      }
      await instance.stop();
      expect(serviceStatus(env)[0]?.condition).toBe("stopped");
      instance = await startService("artemis", {
        instance: "artemis-test",
        port: Number(instance.address.split(":")[1]),
        env,
      });
      adapter = await artemisFactory.connect(instance.settings);
      try {
        expect(await consumeAll(adapter, topic, "g1")).toBe(100);
        const removed = await adapter.clean?.(RESOURCE_PREFIX);
        expect(removed).toContain(topic);
        expect(removed).toContain(`${topic}.g1`);
        expect(await adapter.clean?.(RESOURCE_PREFIX)).toEqual([]);
      } finally {
        await adapter.close();
      }
    });
  },
);
