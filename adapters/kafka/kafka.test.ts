import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../core/errors.js";
import { type Adapter, capabilitiesOf, type OutgoingMessage, type PullConsumer } from "../contract.js";
import { describeBrokerConformance } from "../test/conformance.js";
import { serviceGate } from "../test/services.js";
import { kafkaFactory, parseSettings } from "./index.js";

const gate = await serviceGate("kafka", "127.0.0.1", 9092);
const settings = { url: "127.0.0.1:9092" };

describeBrokerConformance("kafka", kafkaFactory, settings, {
  service: gate,
  unreachable: { settings: { url: "127.0.0.1:1" }, address: "127.0.0.1:1" },
  // A rebalance under load can pause a member's fetching for a second or two: a longer quiet
  // window before a drain concludes.
  quietMs: 3000,
  redeliveryFlagUnreliable:
    "Kafka has no redelivery flag: a record fetched again because its offset was never committed looks like any other",
});

describe("kafka settings", () => {
  it("an unknown acks value is one usage error naming the setting, before connecting", async () => {
    const err = await kafkaFactory.connect({ acks: "2", url: "127.0.0.1:1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe("kafka: setting acks=2 must be 0, 1 or all");
    // `run` asks for the capabilities under the settings before any run: exit 2 there.
    expect(() => capabilitiesOf(kafkaFactory, { acks: "2" })).toThrow(UsageError);
  });

  it("presets are OMB's Kafka drivers, explicit settings win", () => {
    expect(parseSettings({ preset: "kafka-throughput" })).toMatchObject({
      acks: -1,
      lingerMs: 1,
      batchBytes: 1048576,
    });
    expect(parseSettings({ preset: "kafka-latency", lingerMs: "0" })).toMatchObject({
      lingerMs: 0,
      batchBytes: 131072,
    });
    expect(parseSettings({ preset: "kafka-exactly-once" })).toMatchObject({
      idempotence: true,
      maxInFlight: 1,
    });
    expect(() => parseSettings({ preset: "kafka-fast" })).toThrow(
      /preset=kafka-fast must be one of kafka-throughput/,
    );
    expect(() => parseSettings({ idempotence: "true", acks: "1" })).toThrow(
      /idempotence=true needs acks=all/,
    );
    expect(() => parseSettings({ url: "localhost" })).toThrow(/"localhost" is not host:port/);
    expect(parseSettings({ compression: "lz4" }).compression).toBe("lz4");
  });
});

/** A plain TCP forwarder on a free loopback port that counts the bytes it carried. */
async function forwarder(
  target: number,
): Promise<{ port: number; bytes: () => number; close: () => Promise<void> }> {
  const { createServer, connect } = await import("node:net");
  let bytes = 0;
  const sockets = new Set<import("node:net").Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    sockets.add(client).add(upstream);
    client.on("data", (d) => {
      bytes += d.length;
    });
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as import("node:net").AddressInfo).port;
  return {
    port,
    bytes: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const messages = (topic: string, n: number, tag: string): OutgoingMessage[] =>
  Array.from({ length: n }, (_, i) => ({ topic, key: null, payload: Buffer.from(`${tag}-${i}`) }));

async function readAll(adapter: Adapter, topic: string, expected: number): Promise<number[]> {
  const c = (await adapter.createConsumer({
    process: 900,
    group: `read-${randomUUID().slice(0, 6)}`,
    topics: [topic],
    delivery: "pull",
    mode: "at-least-once",
    start: "earliest",
    prefetch: 100,
  })) as PullConsumer;
  const offsets: number[] = [];
  const end = Date.now() + 10_000;
  while (offsets.length < expected && Date.now() < end) {
    for (const d of await c.poll(500, 200)) offsets.push(d.offset ?? -1);
  }
  // Nothing beyond the expected count either.
  for (const d of await c.poll(500, 300)) offsets.push(d.offset ?? -1);
  await c.close();
  return offsets;
}

describe.skipIf(gate.skip)(`kafka specifics against the real broker (${gate.reason})`, () => {
  let adapter: Adapter;
  // Deleted at the end whatever the tests did (a failed test leaves no topic behind).
  const created: string[] = [];
  const fresh = async (partitions = 1) => {
    const t = `bb-kafka-${randomUUID().slice(0, 8)}`;
    created.push(t);
    await adapter.createTopic({ name: t, partitions });
    return t;
  };
  beforeAll(async () => {
    adapter = await kafkaFactory.connect(settings);
  });
  afterAll(async () => {
    for (const t of created) await adapter?.deleteTopic(t).catch(() => {});
    await adapter?.close();
  });

  it("an idempotent producer's retry (lost ack) is answered from the broker's idempotence cache: same offsets, written once", async () => {
    const t = await fresh();
    const p = await adapter.createProducer({ process: 1, mode: "exactly-once", idempotent: true });
    const batch = messages(t, 20, "a");
    const acks = await p.send(batch);
    await p.send(messages(t, 5, "b")); // a later batch in between, as under load
    const again = await p.retry!(batch);
    expect(again).toEqual(acks);
    await p.close();
    expect((await readAll(adapter, t, 25)).length).toBe(25);
    await adapter.deleteTopic(t);
  });

  it("without idempotence the same retry is a second copy in the log (what duplicate-write finds)", async () => {
    const t = await fresh();
    const p = await adapter.createProducer({ process: 2, mode: "at-least-once", idempotent: false });
    const batch = messages(t, 10, "c");
    const acks = await p.send(batch);
    const again = await p.retry!(batch);
    expect(again.map((a) => a.offset)).toEqual(acks.map((a) => (a.offset ?? 0) + 10));
    await p.close();
    expect((await readAll(adapter, t, 20)).length).toBe(20);
    await adapter.deleteTopic(t);
  });

  it("keys go to partitions as the Java client's murmur2 partitioner puts them; concurrent sends share requests", async () => {
    const t = await fresh(4);
    const p = await adapter.createProducer({ process: 3, mode: "at-least-once", idempotent: false });
    const sends = Array.from({ length: 8 }, (_, b) =>
      p.send(
        Array.from({ length: 10 }, (_, i) => ({ topic: t, key: `k${i}`, payload: Buffer.from(`${b}-${i}`) })),
      ),
    );
    const acks = (await Promise.all(sends)).flat();
    // Kafka's DefaultPartitioner: toPositive(murmur2("k0")) % 4 and so on, as computed by the Java client.
    const { keyPartition } = await import("./producer.js");
    expect(acks.slice(0, 10).map((a) => a.partition)).toEqual(
      Array.from({ length: 10 }, (_, i) => keyPartition(`k${i}`, 4)),
    );
    expect(new Set(acks.map((a) => `${a.partition}:${a.offset}`)).size).toBe(80);
    await p.close();
    await adapter.deleteTopic(t);
  });

  it("clean(prefix) removes the topics and consumer groups under the prefix, and nothing else", async () => {
    const prefix = `bb-clean-${randomUUID().slice(0, 8)}`;
    const keep = await fresh();
    await adapter.createTopic({ name: `${prefix}-x`, partitions: 1 });
    const p = await adapter.createProducer({ process: 4, mode: "at-least-once", idempotent: false });
    await p.send(messages(`${prefix}-x`, 3, "d"));
    await p.close();
    const c = (await adapter.createConsumer({
      process: 5,
      group: `${prefix}-g`,
      topics: [`${prefix}-x`],
      delivery: "pull",
      mode: "at-least-once",
      start: "earliest",
      prefetch: 10,
    })) as PullConsumer;
    let got: Awaited<ReturnType<PullConsumer["poll"]>> = [];
    while (got.length === 0) got = await c.poll(10, 500);
    await c.commit(got);
    await c.close();
    const removed = await adapter.clean!(prefix);
    expect(removed).toContain(`topic ${prefix}-x`);
    expect(removed.some((r) => r.startsWith(`group ${prefix}-g`))).toBe(true);
    expect(await adapter.clean!(prefix)).toEqual([]);
    expect(removed.some((r) => r.includes(keep))).toBe(false);
    await adapter.deleteTopic(keep);
  });

  it("behind a TCP proxy every connection goes through the proxy (route=auto on one broker), not only the bootstrap", async () => {
    const proxy = await forwarder(9092);
    const t = await fresh();
    try {
      for (const route of ["auto", "advertised"] as const) {
        const before = proxy.bytes();
        const via = await kafkaFactory.connect({ url: `127.0.0.1:${proxy.port}`, route });
        const p = await via.createProducer({ process: 6, mode: "at-least-once", idempotent: false });
        const payload = Buffer.alloc(200_000, 1);
        await p.send([{ topic: t, key: null, payload }]);
        await p.close();
        await via.close();
        const carried = proxy.bytes() - before;
        // auto: the 200 kB Produce request crossed the proxy; advertised: it went to 127.0.0.1:9092 directly.
        if (route === "auto") expect(carried).toBeGreaterThan(200_000);
        else expect(carried).toBeLessThan(200_000);
      }
    } finally {
      await proxy.close();
      await adapter.deleteTopic(t);
    }
  });
});
