/**
 * The one reference client against the broker in process and over TCP, in the log and the queue
 * model: the shared conformance suite (adapters/test) four times, plus the TCP-specific bits (url
 * parsing, fail-fast connect, commits inside push handlers, rebalances learned from traffic).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodePayload } from "../../../core/payload.js";
import { BrokerUnreachableError, capabilitiesOf } from "../../contract.js";
import { describeBrokerConformance, type ServiceGate } from "../../test/index.js";
import { referenceAdapter } from "../index.js";
import { startBrokerServer } from "../server/run.js";
import { parseUrl } from "./adapter.js";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ref-remote-"));
const server = await startBrokerServer({ host: "127.0.0.1", port: 0, dataDir, flush: "none" });
const url = `127.0.0.1:${server.port}`;

afterAll(async () => {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const inProcess = (address: string): ServiceGate => ({
  name: "reference broker",
  address,
  available: true,
  skip: false,
  fail: false,
  reason: "",
});

// A session timeout below the suite's quiet period, so a killed member's partitions move in time.
const base = { sessionTimeoutMs: "1000" };
describeBrokerConformance("reference-embedded", referenceAdapter, base, { service: inProcess("in process") });
describeBrokerConformance(
  "reference-tcp",
  referenceAdapter,
  { ...base, url },
  { service: inProcess(url), unreachable: { settings: { url: "127.0.0.1:1" }, address: "127.0.0.1:1" } },
);

// Queue mode (a shared subscription with per-message acks), in process and over TCP, judged in the
// queue model.
const queueSettings = { ...base, queue: "true", ackTimeoutMs: "1000" };
describeBrokerConformance(
  "reference-embedded-queue",
  { ...referenceAdapter, capabilities: capabilitiesOf(referenceAdapter, queueSettings) },
  queueSettings,
  { service: inProcess("in process") },
);
describeBrokerConformance(
  "reference-tcp-queue",
  { ...referenceAdapter, capabilities: capabilitiesOf(referenceAdapter, queueSettings) },
  { ...queueSettings, url },
  { service: inProcess(url) },
);

describe("reference adapter over TCP", () => {
  it("parses url=host:port and names the setting when it is wrong", () => {
    expect(parseUrl("127.0.0.1:9092")).toEqual({ host: "127.0.0.1", port: 9092 });
    expect(parseUrl("tcp://[::1]:9092")).toEqual({ host: "::1", port: 9092 });
    expect(() => parseUrl("localhost")).toThrow(/url=localhost: use host:port/);
  });

  it("fails fast, naming the address, when no server listens", async () => {
    const started = Date.now();
    await expect(referenceAdapter.connect({ url: "127.0.0.1:1" })).rejects.toThrow(BrokerUnreachableError);
    expect(Date.now() - started).toBeLessThan(3500);
  });

  it.each(["credit", "buffer"])(
    "push=%s: a handler that commits inside every batch never stalls delivery (many batches queued)",
    async (push) => {
      const a = await referenceAdapter.connect({ url, push, pushBuffer: "100000" });
      const topic = `push-commit-${push}`;
      await a.createTopic({ name: topic, partitions: 2 });
      const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
      for (let b = 0; b < 20; b++) {
        await p.send(
          Array.from({ length: 100 }, (_, i) => ({
            topic,
            key: `k${i}`,
            payload: encodePayload(100, 1, b * 100 + i, 0),
          })),
        );
      }
      const c = await a.createConsumer({
        process: 2,
        group: "g",
        topics: [topic],
        delivery: "push",
        mode: "at-least-once",
        start: "earliest",
        prefetch: 1000,
      });
      if (c.delivery !== "push") throw new Error("push expected");
      let got = 0;
      await c.start(async (batch) => {
        got += batch.length;
        await c.commit(batch);
      });
      for (let i = 0; i < 100 && got < 2000; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toBe(2000);
      await a.close();
    },
  );

  it.each(["pull", "push"] as const)(
    "%s: a busy member learns of a rebalance from its poll/delivery path, not only its session timer",
    async (delivery) => {
      // Session timer every 10 s: a rebalance seen within 2 s came from the traffic path.
      const a = await referenceAdapter.connect({ url, sessionTimeoutMs: "30000" });
      const topic = `rebalance-quick-${delivery}`;
      await a.createTopic({ name: topic, partitions: 2 });
      const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
      let seq = 0;
      const send = () =>
        p.send([0, 1].map((k) => ({ topic, key: `k${k}`, payload: encodePayload(100, 1, seq++, 0) })));
      const owned: number[] = [];
      const consumer = (process: number, onAssign: (n: number) => void) =>
        a.createConsumer({
          process,
          group: "g",
          topics: [topic],
          delivery,
          mode: "at-least-once",
          start: "earliest",
          prefetch: 100,
          onAssign: (x) => onAssign(x.partitions.length),
        });
      const first = await consumer(2, (n) => owned.push(n));
      let running = true;
      const loop = (async () => {
        if (first.delivery === "push") await first.start(() => undefined);
        while (running) {
          await send();
          if (first.delivery === "pull") await first.poll(100, 10);
          else await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const second = await consumer(3, () => undefined);
      const started = Date.now();
      while (owned.at(-1) !== 1 && Date.now() - started < 2_000) await new Promise((r) => setTimeout(r, 10));
      running = false;
      await loop;
      expect(owned).toEqual([2, 1]);
      await second.close();
      await a.close();
    },
  );

  it("acks=flushed produce and a pull consumer see the same offsets as the server's log", async () => {
    const a = await referenceAdapter.connect({ url, acks: "flushed" });
    await a.createTopic({ name: "flushed", partitions: 3 });
    const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: true });
    const sent = Array.from({ length: 30 }, (_, i) => ({
      topic: "flushed",
      key: `k${i % 5}`,
      payload: encodePayload(100, 1, i, 0),
    }));
    const acks = await p.send(sent);
    const c = await a.createConsumer({
      process: 2,
      group: "g",
      topics: ["flushed"],
      delivery: "pull",
      mode: "at-least-once",
      start: "earliest",
      prefetch: 100,
    });
    if (c.delivery !== "pull") throw new Error("pull expected");
    const got = new Map<string, number>();
    for (let i = 0; i < 20 && got.size < 30; i++) {
      for (const d of await c.poll(100, 200)) got.set(`${d.partition}/${d.offset}`, d.payload[8]!);
    }
    expect([...got.keys()].sort()).toEqual(acks.map((x) => `${x.partition}/${x.offset}`).sort());
    await a.close();
  });
});
