import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Adapter } from "../contract.js";
import { describeBrokerConformance } from "../test/conformance.js";
import { drain, produce, RunningConsumer, waitUntil } from "../test/driver.js";
import { TestHistory } from "../test/history.js";
import { groupTally, tally } from "../test/judge.js";
import { serviceGate } from "../test/services.js";
import { mqttFactory } from "./index.js";

const gate = await serviceGate("mosquitto", "127.0.0.1", 1883);

describeBrokerConformance(
  "mqtt",
  mqttFactory,
  {},
  {
    service: gate,
    unreachable: { settings: { url: "mqtt://127.0.0.1:1" }, address: "mqtt://127.0.0.1:1" },
    quietMs: 700,
    // MQTT has no request that lists sessions (README: they expire after sessionExpirySec).
    clean: "unlisted",
  },
);

// MQTT 3.1.1: no receive maximum, no session expiry, no user properties; shared subscriptions
// still work on mosquitto 2.
describeBrokerConformance(
  "mqtt 3.1.1",
  mqttFactory,
  { protocolVersion: "4" },
  { service: gate, quietMs: 700, clean: "unlisted" },
);

describe.skipIf(gate.skip)(`mqtt specifics against the real broker (${gate.reason})`, () => {
  let adapter: Adapter;
  let qos2: Adapter;
  const topic = () => `bb-test.${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    adapter = await mqttFactory.connect({});
    qos2 = await mqttFactory.connect({ atMostOnceQos: "2" });
  });
  afterAll(async () => {
    await adapter?.close();
    await qos2?.close();
  });

  it("reports mqtt.js and the broker's own version", async () => {
    const v = await adapter.versions();
    expect(v.client).toMatch(/^mqtt\.js \d/);
    expect(v.server).toMatch(/mosquitto version \d/);
  });

  it("at-most-once over QoS 2: 500 messages through a window of 20, none lost or doubled", async () => {
    const t = topic();
    const h = new TestHistory();
    const c = await RunningConsumer.start(qos2, h, {
      process: 10,
      group: "q2",
      topics: [t],
      delivery: "push",
      mode: "at-most-once",
      start: "latest",
    });
    const acked = await produce(qos2, h, {
      process: 1,
      topic: t,
      mode: "at-most-once",
      count: 500,
      batch: 100,
    });
    await drain(h, "q2", [c], acked, 700);
    await c.close();
    const g = groupTally(tally(h.lines), "q2");
    expect(g.lost).toEqual([]);
    expect(g.duplicateDelivery).toEqual([]);
    expect(c.delivered).toEqual(acked);
  });

  it("at-least-once: a consumer that dies resumes its session; queued and unacknowledged messages come back flagged", async () => {
    const t = topic();
    const h = new TestHistory();
    const base = {
      topics: [t],
      delivery: "push",
      mode: "at-least-once",
      start: "committed",
      group: "back",
    } as const;
    const first = await RunningConsumer.start(adapter, h, {
      ...base,
      process: 20,
      commitLimit: 5,
      prefetch: 20,
    });
    const before = await produce(adapter, h, { process: 2, topic: t, mode: "at-least-once", count: 30 });
    expect(await waitUntil(() => first.delivered.length >= 20, 3000)).toBe(true);
    await first.kill();
    // Published while nobody is connected: the dead member's session queues them.
    const away = await produce(adapter, h, {
      process: 2,
      topic: t,
      mode: "at-least-once",
      count: 30,
      firstSequence: 30,
    });
    const second = await RunningConsumer.start(adapter, h, { ...base, process: 21 });
    await drain(h, "back", [first, second], [...before, ...away], 700);
    await second.close();
    const g = groupTally(tally(h.lines), "back");
    expect(g.lost).toEqual([]);
    const unacked = first.delivered.filter((id) => !first.committed.includes(id));
    expect(unacked.length).toBeGreaterThan(0);
    expect(unacked.every((id) => second.delivered.includes(id))).toBe(true);
    expect(away.every((id) => second.delivered.includes(id))).toBe(true);
    expect(g.redelivered).toBeGreaterThanOrEqual(unacked.length);
    const froms = h.lines.filter((l) => l.f === "assign").map((l) => (l.value as { from: string }).from);
    expect(froms).toEqual(["latest", "committed"]);
  });

  it("refuses exactly-once, pull and replay, saying why", async () => {
    await expect(
      adapter.createProducer({ process: 3, mode: "exactly-once", idempotent: false }),
    ).rejects.toThrow(/exactly-once is not supported: QoS 2/);
    const base = { process: 30, group: "r", topics: ["bb-test.r"], prefetch: 10 } as const;
    await expect(
      adapter.createConsumer({ ...base, delivery: "pull", mode: "at-least-once", start: "latest" }),
    ).rejects.toThrow(/pull delivery is not supported/);
    await expect(
      adapter.createConsumer({ ...base, delivery: "push", mode: "at-least-once", start: "earliest" }),
    ).rejects.toThrow(/no history to replay/);
  });
});
