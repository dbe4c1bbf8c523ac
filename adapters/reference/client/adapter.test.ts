import { describe, expect, it } from "vitest";
import { decodePayload, encodePayload } from "../../../core/payload.js";
import type { Assignment, Delivery, OutgoingMessage } from "../../contract.js";
import { referenceAdapter } from "../index.js";
import { connectEmbedded } from "./adapter.js";

function batch(topic: string, process: number, from: number, n: number, key: string | null = null) {
  const out: OutgoingMessage[] = [];
  for (let i = from; i < from + n; i++) out.push({ topic, key, payload: encodePayload(100, process, i, 0) });
  return out;
}

const seqs = (ds: readonly Delivery[]) => ds.map((d) => decodePayload(d.payload).sequence);

const consumerBase = {
  mode: "at-least-once" as const,
  start: "earliest" as const,
  prefetch: 500,
};

describe("reference adapter, embedded", () => {
  it("is registered by name with its settings and capabilities", () => {
    expect(referenceAdapter.name).toBe("reference");
    expect(referenceAdapter.capabilities.model).toBe("log");
    expect(referenceAdapter.settings.push?.default).toBe("credit");
  });

  it("pull: one producer, one partition, one consumer gets everything in order; commit reports offsets", async () => {
    const a = await connectEmbedded({});
    await a.createTopic({ name: "t", partitions: 1 });
    const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
    const acks = await p.send(batch("t", 1, 0, 100));
    expect(acks[0]).toEqual({ partition: 0, offset: 0 });
    expect(acks[99]).toEqual({ partition: 0, offset: 99 });
    await p.send(batch("t", 1, 100, 100));
    const assigns: Assignment[] = [];
    const c = await a.createConsumer({
      ...consumerBase,
      process: 2,
      group: "g",
      topics: ["t"],
      delivery: "pull",
      onAssign: (x) => assigns.push(x),
    });
    if (c.delivery !== "pull") throw new Error("pull expected");
    expect(assigns).toHaveLength(1);
    const got: Delivery[] = [];
    while (got.length < 200) got.push(...(await c.poll(64, 100)));
    expect(seqs(got)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(await c.commit(got)).toEqual({
      kind: "offsets",
      offsets: [{ topic: "t", partition: 0, offset: 200 }],
    });
    // Empty poll times out with [].
    expect(await c.poll(10, 20)).toEqual([]);
    await a.close();
  });

  it("pull: a second consumer starts from the group's committed offset", async () => {
    const a = await connectEmbedded({});
    await a.createTopic({ name: "t", partitions: 1 });
    const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
    await p.send(batch("t", 1, 0, 50));
    const c1 = await a.createConsumer({
      ...consumerBase,
      process: 2,
      group: "g",
      topics: ["t"],
      delivery: "pull",
    });
    if (c1.delivery !== "pull") throw new Error();
    const first = await c1.poll(20, 100);
    await c1.commit(first);
    await c1.close();
    const c2 = await a.createConsumer({
      ...consumerBase,
      process: 3,
      group: "g",
      topics: ["t"],
      delivery: "pull",
    });
    if (c2.delivery !== "pull") throw new Error();
    const rest = await c2.poll(100, 100);
    expect(seqs(rest)[0]).toBe(20);
    await a.close();
  });

  it("push (credit): delivers in order, never more than the window outstanding", async () => {
    const a = await connectEmbedded({ push: "credit" });
    await a.createTopic({ name: "t", partitions: 1 });
    const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
    const c = await a.createConsumer({
      ...consumerBase,
      prefetch: 30,
      process: 2,
      group: "g",
      topics: ["t"],
      delivery: "push",
    });
    if (c.delivery !== "push") throw new Error();
    const got: number[] = [];
    let largest = 0;
    const done = new Promise<void>((resolve) => {
      void c.start(async (b) => {
        largest = Math.max(largest, b.length);
        got.push(...seqs(b));
        await new Promise((r) => setTimeout(r, 1));
        if (got.length >= 300) resolve();
      });
    });
    for (let i = 0; i < 3; i++) await p.send(batch("t", 1, i * 100, 100));
    await done;
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(largest).toBeLessThanOrEqual(30);
    await a.close();
  });

  it("queue mode reports the queue model and acks per message", async () => {
    const a = await connectEmbedded({ queue: "true" });
    expect(a.capabilities.model).toBe("queue");
    await a.createTopic({ name: "q", partitions: 2 });
    const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
    await p.send(batch("q", 1, 0, 10, "k"));
    const c = await a.createConsumer({
      ...consumerBase,
      process: 2,
      group: "g",
      topics: ["q"],
      delivery: "pull",
    });
    if (c.delivery !== "pull") throw new Error();
    const got = await c.poll(100, 200);
    expect(seqs(got)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(await c.commit(got)).toEqual({ kind: "acks", count: 10 });
    await a.close();
  });

  it("rejects unknown and malformed settings naming the setting", async () => {
    await expect(connectEmbedded({ push: "fast" })).rejects.toThrow(/push=fast.*credit, buffer/);
    await expect(connectEmbedded({ colour: "blue" })).rejects.toThrow(/unknown setting "colour"/);
  });

  it("two pull consumers split the partitions; when one closes the other takes over from the committed offsets", async () => {
    const a = await connectEmbedded({ sessionTimeoutMs: "300" });
    await a.createTopic({ name: "t", partitions: 4 });
    const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
    for (let k = 0; k < 8; k++) await p.send(batch("t", 1, k * 10, 10, `key-${k}`));
    const assigns1: Assignment[] = [];
    const c1 = await a.createConsumer({
      ...consumerBase,
      process: 2,
      group: "g",
      topics: ["t"],
      delivery: "pull",
      onAssign: (x) => assigns1.push(x),
    });
    const c2 = await a.createConsumer({
      ...consumerBase,
      process: 3,
      group: "g",
      topics: ["t"],
      delivery: "pull",
    });
    if (c1.delivery !== "pull" || c2.delivery !== "pull") throw new Error();
    // c1 learns of c2's arrival at its next poll: it now owns half of the partitions.
    await new Promise((r) => setTimeout(r, 150));
    const got1 = await c1.poll(1000, 50);
    expect(assigns1.at(-1)!.partitions).toHaveLength(2);
    const got2 = await c2.poll(1000, 50);
    const parts1 = new Set(got1.map((d) => d.partition));
    const parts2 = new Set(got2.map((d) => d.partition));
    expect([...parts1].some((x) => parts2.has(x))).toBe(false);
    await c1.commit(got1);
    await c2.commit(got2.slice(0, 1));
    await c2.close();
    await new Promise((r) => setTimeout(r, 150));
    const rest = await c1.poll(1000, 50);
    expect(assigns1.at(-1)!.partitions).toHaveLength(4);
    // Everything c2 did not commit comes to c1, nothing c1 committed comes again.
    expect(rest.length + got1.length + 1).toBe(80);
    await a.close();
  });

  it("a killed consumer's partitions move to the others after the session timeout", async () => {
    const a = await connectEmbedded({ sessionTimeoutMs: "200" });
    await a.createTopic({ name: "t", partitions: 2 });
    const c1 = await a.createConsumer({
      ...consumerBase,
      process: 2,
      group: "g",
      topics: ["t"],
      delivery: "pull",
    });
    const assigns: Assignment[] = [];
    const c2 = await a.createConsumer({
      ...consumerBase,
      process: 3,
      group: "g",
      topics: ["t"],
      delivery: "pull",
      onAssign: (x) => assigns.push(x),
    });
    if (c1.delivery !== "pull" || c2.delivery !== "pull") throw new Error();
    expect(assigns.at(-1)!.partitions).toHaveLength(1);
    await c1.kill!();
    const deadline = Date.now() + 3000;
    while (assigns.at(-1)!.partitions.length < 2 && Date.now() < deadline) await c2.poll(10, 50);
    expect(assigns.at(-1)!.partitions).toHaveLength(2);
    await a.close();
  });

  it("a member that kept its partition through rebalances it missed still commits", async () => {
    const a = await connectEmbedded({ sessionTimeoutMs: "60000" });
    await a.createTopic({ name: "t", partitions: 1 });
    const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
    await p.send(batch("t", 1, 0, 10));
    const c1 = await a.createConsumer({
      ...consumerBase,
      process: 2,
      group: "g",
      topics: ["t"],
      delivery: "pull",
    });
    if (c1.delivery !== "pull") throw new Error();
    const got = await c1.poll(100, 50);
    const c2 = await a.createConsumer({
      ...consumerBase,
      process: 3,
      group: "g",
      topics: ["t"],
      delivery: "pull",
    });
    await c2.close();
    expect(await c1.commit(got)).toEqual({
      kind: "offsets",
      offsets: [{ topic: "t", partition: 0, offset: 10 }],
    });
    await a.close();
  });

  it("a member that missed a rebalance cannot commit what another member may have processed", async () => {
    const a = await connectEmbedded({ sessionTimeoutMs: "60000" });
    await a.createTopic({ name: "t", partitions: 1 });
    const p = await a.createProducer({ process: 1, mode: "exactly-once", idempotent: true });
    await p.send(batch("t", 1, 0, 10));
    const c1 = await a.createConsumer({
      ...consumerBase,
      mode: "exactly-once",
      process: 2,
      group: "g",
      topics: ["t"],
      delivery: "pull",
    });
    if (c1.delivery !== "pull") throw new Error();
    const got = await c1.poll(100, 50);
    expect(got).toHaveLength(10);
    // Two rebalances c1 does not see: partition 0 was c2's in between (its member id sorts first).
    const c2 = await a.createConsumer({
      ...consumerBase,
      process: 1,
      group: "g",
      topics: ["t"],
      delivery: "pull",
    });
    await c2.close();
    await expect(c1.commit(got)).rejects.toThrow(/ILLEGAL_GENERATION/);
    await a.close();
  });

  it("push=buffer overflow=disconnect: a consumer that falls behind is cut off and told so", async () => {
    const a = await connectEmbedded({ push: "buffer", pushBuffer: "20", overflow: "disconnect" });
    await a.createTopic({ name: "t", partitions: 1 });
    const p = await a.createProducer({ process: 1, mode: "at-most-once", idempotent: false });
    const c = await a.createConsumer({
      ...consumerBase,
      process: 2,
      group: "g",
      topics: ["t"],
      delivery: "push",
    });
    if (c.delivery !== "push") throw new Error();
    let release: () => void = () => {};
    await c.start(() => new Promise<void>((r) => (release = r)));
    for (let i = 0; i < 5; i++) await p.send(batch("t", 1, i * 10, 10));
    await new Promise((r) => setImmediate(r));
    release();
    await expect(c.commit([])).rejects.toThrow(/SUBSCRIBER_OVERFLOW/);
    await a.close();
  });

  it("retention settings bound the memory log; a consumer behind the log start continues at it", async () => {
    const a = await connectEmbedded({ segmentBytes: "1000", retentionBytes: "3000" });
    await a.createTopic({ name: "t", partitions: 1 });
    const p = await a.createProducer({ process: 1, mode: "at-most-once", idempotent: false });
    for (let i = 0; i < 10; i++) await p.send(batch("t", 1, i * 10, 10));
    // The group had committed offset 0 before retention deleted it.
    await a.broker.commitOffsets({
      group: "g",
      memberId: null,
      generation: -1,
      offsets: [{ topic: "t", partition: 0, offset: 0 }],
    });
    a.broker.tick();
    const start = a.broker.listOffset("t", 0, "earliest");
    expect(start).toBeGreaterThan(0);
    const c = await a.createConsumer({
      ...consumerBase,
      process: 2,
      group: "g",
      topics: ["t"],
      delivery: "pull",
    });
    if (c.delivery !== "pull") throw new Error();
    const got = await c.poll(1000, 50);
    expect(got[0]!.offset).toBe(start);
    expect(got.at(-1)!.offset).toBe(99);
    await a.close();
  });

  it("push consumers keep receiving across rebalances (credit is not lost to revoked partitions)", async () => {
    const a = await connectEmbedded({ sessionTimeoutMs: "300" });
    await a.createTopic({ name: "t", partitions: 4 });
    const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
    const seen = new Set<number>();
    const start = async (process: number) => {
      const c = await a.createConsumer({
        ...consumerBase,
        prefetch: 20,
        process,
        group: "g",
        topics: ["t"],
        delivery: "push",
      });
      if (c.delivery !== "push") throw new Error();
      await c.start(async (b) => {
        for (const s of seqs(b)) seen.add(s);
        await c.commit(b).catch(() => undefined);
      });
      return c;
    };
    const c1 = await start(2);
    let next = 0;
    const send = async (n: number) => {
      for (let i = 0; i < n; i++, next++) await p.send(batch("t", 1, next, 1, `k${next % 13}`));
    };
    await send(100);
    const c2 = await start(3);
    await send(100);
    await new Promise((r) => setTimeout(r, 250));
    await send(100);
    await c2.close();
    await new Promise((r) => setTimeout(r, 250));
    await send(100);
    const deadline = Date.now() + 3000;
    while (seen.size < 400 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(seen.size).toBe(400);
    await c1.close();
    await a.close();
  });
});
