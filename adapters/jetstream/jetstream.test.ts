import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wallMs } from "../../core/clock.js";
import { UsageError } from "../../core/errors.js";
import { encodePayload } from "../../core/payload.js";
import type { Adapter, PullConsumer } from "../contract.js";
import { describeBrokerConformance } from "../test/conformance.js";
import { drain, produce, RunningConsumer, waitUntil } from "../test/driver.js";
import { TestHistory } from "../test/history.js";
import { groupTally, tally } from "../test/judge.js";
import { serviceGate } from "../test/services.js";
import { jetstreamFactory } from "./index.js";

const gate = await serviceGate("nats", "127.0.0.1", 4222);
// Redelivery after 1 s keeps the kill scenarios within the suite's drain window.
const settings = { ackWaitMs: "1000", storage: "memory" };

describeBrokerConformance("jetstream", jetstreamFactory, settings, {
  service: gate,
  unreachable: { settings: { url: "nats://127.0.0.1:1" }, address: "nats://127.0.0.1:1" },
});

describe("jetstream settings", () => {
  it("a bad setting is a usage error named as such, checked before connecting", async () => {
    const err = await jetstreamFactory
      .connect({ storage: "tape", url: "nats://127.0.0.1:1" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('jetstream: setting storage=tape must be "file" or "memory"');
    await expect(jetstreamFactory.connect({ ackWaitMs: "soon" })).rejects.toThrow(
      /ackWaitMs=soon is not a non-negative number/,
    );
  });
});

describe.skipIf(gate.skip)(`jetstream specifics against the real server (${gate.reason})`, () => {
  let adapter: Adapter;
  const fresh = async () => {
    const t = `bb-js-${randomUUID().slice(0, 8)}`;
    await adapter.createTopic({ name: t, partitions: 1 });
    return t;
  };

  beforeAll(async () => {
    adapter = await jetstreamFactory.connect(settings);
  });
  afterAll(async () => {
    await adapter?.close();
  });

  it("acknowledges sends with stream sequences and delivers them as offsets", async () => {
    const t = await fresh();
    const h = new TestHistory();
    await produce(adapter, h, { process: 1, topic: t, mode: "at-least-once", count: 30, batch: 10 });
    const offsets = h.lines
      .filter((l) => l.f === "send" && l.type === "ok")
      .flatMap((l) => (l.value as { offset: number }[]).map((v) => v.offset));
    expect(offsets).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const c = (await adapter.createConsumer({
      process: 10,
      group: "g",
      topics: [t],
      delivery: "pull",
      mode: "at-least-once",
      start: "earliest",
      prefetch: 100,
    })) as PullConsumer;
    const got = [];
    while (got.length < 30) got.push(...(await c.poll(100, 1000)));
    expect(got.map((d) => d.offset)).toEqual(offsets);
    await c.close();
    await adapter.deleteTopic(t);
  });

  it("an idempotent producer's retry is stored once (Nats-Msg-Id) and acknowledged with the first sequence", async () => {
    const t = await fresh();
    const p = await adapter.createProducer({ process: 2, mode: "exactly-once", idempotent: true });
    const batch = [0, 1, 2].map((seq) => ({
      topic: t,
      key: null,
      payload: encodePayload(100, 2, seq, wallMs()),
      id: `2-${seq}`,
    }));
    const first = await p.send(batch);
    const retry = await p.send(batch);
    expect(retry).toEqual(first);
    await p.close();
    const h = new TestHistory();
    const c = await RunningConsumer.start(adapter, h, {
      process: 11,
      group: "g",
      topics: [t],
      delivery: "pull",
      mode: "exactly-once",
      start: "earliest",
    });
    await drain(h, "g", [c], ["2-0", "2-1", "2-2"], 500);
    await c.close();
    expect(c.delivered).toEqual(["2-0", "2-1", "2-2"]);
    await adapter.deleteTopic(t);
  });

  it("start positions: earliest replays the stream, latest sees only new messages, a returning group resumes", async () => {
    const t = await fresh();
    const h = new TestHistory();
    const old = await produce(adapter, h, { process: 3, topic: t, mode: "at-least-once", count: 20 });
    const base = { topics: [t], delivery: "push", mode: "at-least-once" } as const;
    const early = await RunningConsumer.start(adapter, h, {
      ...base,
      process: 20,
      group: "early",
      start: "earliest",
    });
    const late = await RunningConsumer.start(adapter, h, {
      ...base,
      process: 21,
      group: "late",
      start: "latest",
    });
    const fresh20 = await produce(adapter, h, {
      process: 3,
      topic: t,
      mode: "at-least-once",
      count: 20,
      firstSequence: 20,
    });
    await drain(h, "early", [early], [...old, ...fresh20], 500);
    await drain(h, "late", [late], fresh20, 500);
    await early.close();
    await late.close();
    expect(early.delivered).toEqual([...old, ...fresh20]);
    expect(late.delivered).toEqual(fresh20);
    // The group "early" committed everything: a new member starting "earliest" resumes after it.
    const more = await produce(adapter, h, {
      process: 3,
      topic: t,
      mode: "at-least-once",
      count: 5,
      firstSequence: 40,
    });
    const back = await RunningConsumer.start(adapter, h, {
      ...base,
      process: 22,
      group: "early",
      start: "earliest",
    });
    await drain(h, "early", [early, back], [...old, ...fresh20, ...more], 500);
    await back.close();
    expect(back.delivered).toEqual(more);
    const assigns = h.lines.filter((l) => l.f === "assign").map((l) => (l.value as { from: string }).from);
    expect(assigns).toEqual(["earliest", "latest", "committed"]);
    await adapter.deleteTopic(t);
  });

  it("exactly-once: a consumer killed before committing hands its messages on; committed ones never return", async () => {
    const t = await fresh();
    const h = new TestHistory();
    const base = {
      topics: [t],
      delivery: "pull",
      mode: "exactly-once",
      start: "earliest",
      group: "x",
    } as const;
    const first = await RunningConsumer.start(adapter, h, {
      ...base,
      process: 30,
      commitLimit: 10,
      pollMax: 5,
    });
    const acked = await produce(adapter, h, { process: 4, topic: t, mode: "exactly-once", count: 50 });
    const deadline = Date.now() + 5000;
    while (first.delivered.length < 15 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await first.kill();
    const second = await RunningConsumer.start(adapter, h, { ...base, process: 31 });
    const uncommitted = first.delivered.filter((id) => !first.committed.includes(id));
    expect(uncommitted.length).toBeGreaterThan(0);
    // ack_wait (1 s) after their delivery, the server hands them to the surviving member.
    const handedOn = await waitUntil(() => uncommitted.every((id) => second.delivered.includes(id)), 5000);
    expect(handedOn, "the dead consumer's uncommitted messages reach the second").toBe(true);
    await drain(
      h,
      "x",
      [second],
      acked.filter((id) => !first.committed.includes(id)),
      1000,
    );
    await second.close();
    const g = groupTally(tally(h.lines), "x");
    expect(g.lost).toEqual([]);
    // Processed once: what the first committed never reaches the second.
    expect(second.delivered.filter((id) => first.committed.includes(id))).toEqual([]);
    expect(new Set([...first.committed, ...second.committed]).size).toBe(
      first.committed.length + second.committed.length,
    );
    expect(g.redelivered).toBeGreaterThan(0);
    await adapter.deleteTopic(t);
  });

  it("partitions: a stream each, keys stick to one, offsets per partition, consumers read them all in order", async () => {
    const t = `bb-js-${randomUUID().slice(0, 8)}`;
    await adapter.createTopic({ name: t, partitions: 3 });
    const p = await adapter.createProducer({ process: 5, mode: "at-least-once", idempotent: false });
    const sent = Array.from({ length: 60 }, (_, seq) => ({
      topic: t,
      key: `k${seq % 6}`,
      payload: encodePayload(100, 5, seq, wallMs()),
    }));
    const acks = [...(await p.send(sent.slice(0, 30))), ...(await p.send(sent.slice(30)))];
    await p.close();
    const partitionOfKey = new Map<string, Set<number>>();
    for (const [i, a] of acks.entries()) {
      const k = sent[i]!.key!;
      partitionOfKey.set(k, (partitionOfKey.get(k) ?? new Set()).add(a.partition));
    }
    for (const ps of partitionOfKey.values()) expect(ps.size).toBe(1);
    const used = new Set(acks.map((a) => a.partition));
    expect(used.size).toBeGreaterThan(1);
    for (const part of used) {
      const offsets = acks.filter((a) => a.partition === part).map((a) => a.offset);
      expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i + 1));
    }
    // Another process (a second adapter) finds the partitions from the server.
    const other = await jetstreamFactory.connect(settings);
    const assigned: number[] = [];
    const c = (await other.createConsumer({
      process: 50,
      group: "all",
      topics: [t],
      delivery: "pull",
      mode: "at-least-once",
      start: "earliest",
      prefetch: 100,
      onAssign: (a) => assigned.push(...a.partitions.map((x) => x.partition)),
    })) as PullConsumer;
    expect(assigned).toEqual([0, 1, 2]);
    const got = [];
    const deadline = Date.now() + 5000;
    while (got.length < 60 && Date.now() < deadline) got.push(...(await c.poll(100, 200)));
    await c.commit(got);
    await c.close();
    await other.close();
    expect(got).toHaveLength(60);
    const ackOf = new Map(acks.map((a, i) => [i, a]));
    for (const d of got) {
      const seq = Buffer.from(d.payload).readUInt32LE(8);
      expect({ partition: d.partition, offset: d.offset }).toEqual(ackOf.get(seq));
      expect(d.topic).toBe(t);
    }
    for (const part of used) {
      const offsets = got.filter((d) => d.partition === part).map((d) => d.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => (a ?? 0) - (b ?? 0)));
    }
    // Recreated with one partition: the three streams are gone, keys all land in partition 0.
    await adapter.createTopic({ name: t, partitions: 1 });
    const q = await adapter.createProducer({ process: 6, mode: "at-least-once", idempotent: false });
    const again = await q.send(
      sent.slice(0, 6).map((m, i) => ({ ...m, payload: encodePayload(100, 6, i, wallMs()) })),
    );
    await q.close();
    expect(again.map((a) => [a.partition, a.offset])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [0, i + 1]));
    await adapter.deleteTopic(t);
  });
});
