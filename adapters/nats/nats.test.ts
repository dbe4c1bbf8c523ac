import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Adapter, BrokerUnreachableError } from "../contract.js";
import { describeBrokerConformance } from "../test/conformance.js";
import { drain, produce, RunningConsumer } from "../test/driver.js";
import { TestHistory } from "../test/history.js";
import { groupTally, tally } from "../test/judge.js";
import { serviceGate } from "../test/services.js";
import { natsFactory } from "./index.js";

const gate = await serviceGate("nats", "127.0.0.1", 4222);

describeBrokerConformance(
  "nats",
  natsFactory,
  {},
  {
    service: gate,
    unreachable: { settings: { url: "nats://127.0.0.1:1" }, address: "nats://127.0.0.1:1" },
    quietMs: 500,
    clean: "stateless",
  },
);

describe("nats adapter: connecting", () => {
  it("fails fast with the address when nothing listens", async () => {
    const started = Date.now();
    const err = await natsFactory.connect({ url: "nats://127.0.0.1:1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerUnreachableError);
    expect((err as Error).message).toContain("nats://127.0.0.1:1");
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

describe.skipIf(gate.skip)(`nats adapter against the real server (${gate.reason})`, () => {
  let adapter: Adapter;
  const topic = () => `bb-test.${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    adapter = await natsFactory.connect({});
  });
  afterAll(async () => {
    await adapter?.close();
  });

  it("reports client and server versions", async () => {
    const v = await adapter.versions();
    expect(v.client).toMatch(/^nats\.js \d/);
    expect(v.server).toMatch(/^nats-server \d+\.\d+/);
  });

  it("refuses to replay from the earliest message, saying why", async () => {
    await expect(
      adapter.createConsumer({
        process: 90,
        group: "g",
        topics: ["bb-test.replay"],
        delivery: "push",
        mode: "at-most-once",
        start: "earliest",
        prefetch: 10,
      }),
    ).rejects.toThrow(/keeps no history to replay/);
  });

  it("rejects a topic that is not a subject", async () => {
    await expect(adapter.createTopic({ name: "a b", partitions: 1 })).rejects.toThrow(
      /not a valid NATS subject/,
    );
  });

  it("pub-sub: each group gets every message once", async () => {
    const t = topic();
    await adapter.createTopic({ name: t, partitions: 1 });
    const h = new TestHistory();
    const base = { topics: [t], delivery: "push", mode: "at-most-once", start: "latest" } as const;
    const a = await RunningConsumer.start(adapter, h, { ...base, process: 10, group: "a" });
    const b = await RunningConsumer.start(adapter, h, { ...base, process: 11, group: "b" });
    const acked = await produce(adapter, h, { process: 1, topic: t, mode: "at-most-once", count: 500 });
    await drain(h, "a", [a], acked, 300);
    await drain(h, "b", [b], acked, 300);
    await a.close();
    await b.close();
    const r = tally(h.lines);
    for (const g of ["a", "b"]) {
      expect(groupTally(r, g).lost).toEqual([]);
      expect(groupTally(r, g).duplicateDelivery).toEqual([]);
      expect(groupTally(r, g).delivered).toBe(500);
    }
    // one publisher's order reaches each subscriber intact
    expect(a.delivered).toEqual(acked);
  });

  it("a consumer that dies and comes back: what was published while away is lost, nothing is redelivered", async () => {
    const t = topic();
    const h = new TestHistory();
    const base = {
      topics: [t],
      delivery: "push",
      mode: "at-most-once",
      start: "committed",
      group: "g",
    } as const;
    const first = await RunningConsumer.start(adapter, h, { ...base, process: 30 });
    const before = await produce(adapter, h, { process: 3, topic: t, mode: "at-most-once", count: 100 });
    await drain(h, "g", [first], before, 300);
    await first.kill();
    const away = await produce(adapter, h, {
      process: 3,
      topic: t,
      mode: "at-most-once",
      count: 100,
      firstSequence: 100,
    });
    const second = await RunningConsumer.start(adapter, h, { ...base, process: 31 });
    const after = await produce(adapter, h, {
      process: 3,
      topic: t,
      mode: "at-most-once",
      count: 100,
      firstSequence: 200,
    });
    await drain(h, "g", [first, second], [...before, ...away, ...after], 300);
    await second.close();
    const g = groupTally(tally(h.lines), "g");
    expect(g.lost).toEqual(away);
    expect(g.duplicateDelivery).toEqual([]);
    expect(g.redelivered).toBe(0);
    expect(second.delivered).toEqual(after);
  });
});
