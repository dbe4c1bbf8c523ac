import { describe, expect, it } from "vitest";
import type { Broker } from "../broker.js";
import type { QueueDelivery, QueueOptions } from "../queue.js";
import { type ManualClock, openBroker, range, text } from "./helpers.js";

const tick = () => new Promise((r) => setImmediate(r));

const OPTIONS: QueueOptions = {
  ackTimeoutMs: 1000,
  maxDeliveries: 3,
  deadLetterTopic: null,
  prefetch: 100,
  isolation: "read_committed",
};

function member(broker: Broker, group = "g", options: Partial<QueueOptions> = {}) {
  const s = broker.joinGroup({ group, memberId: null, topics: ["q"], mode: "queue", sessionTimeoutMs: 5000 });
  const got: QueueDelivery[] = [];
  broker.queueSubscribe(
    { group, memberId: s.memberId, generation: s.generation },
    { ...OPTIONS, ...options },
    { deliver: (b) => void got.push(...b) },
  );
  const ack = (ds: readonly QueueDelivery[]) =>
    broker.queueSettle({
      group,
      memberId: s.memberId,
      acks: ds.map((d) => ({ topic: d.topic, partition: d.partition, offset: d.offset })),
    });
  const nack = (ds: readonly QueueDelivery[]) =>
    broker.queueSettle({
      group,
      memberId: s.memberId,
      acks: [],
      nacks: ds.map((d) => ({ topic: d.topic, partition: d.partition, offset: d.offset })),
    });
  return { id: s.memberId, got, ack, nack };
}

const ids = (ds: readonly QueueDelivery[]) => ds.map((d) => text(d.payload));

describe("queue mode (shared subscription)", () => {
  it("each message goes to exactly one member", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("q", 2);
    const a = member(broker, "g", { prefetch: 7 });
    const b = member(broker, "g", { prefetch: 7 });
    for (let i = 0; i < 10; i++)
      broker.append({ topic: "q", partition: i % 2, records: range(`p${i % 2}-`, i * 5, i * 5 + 5) });
    // Keep acking what arrived until everything was received and acked.
    const acked = new Set<QueueDelivery>();
    const ackNew = async (m: ReturnType<typeof member>) => {
      const fresh = m.got.filter((d) => !acked.has(d));
      for (const d of fresh) acked.add(d);
      await m.ack(fresh);
    };
    for (let round = 0; round < 50 && acked.size < 50; round++) {
      await tick();
      await ackNew(a);
      await ackNew(b);
    }
    const all = [...ids(a.got), ...ids(b.got)];
    expect(all).toHaveLength(50);
    expect(new Set(all).size).toBe(50);
    expect(a.got.length).toBeGreaterThan(0);
    expect(b.got.length).toBeGreaterThan(0);
    expect(broker.queueStats("g")).toMatchObject({ inFlightMessages: 0, redeliveredMessages: 0 });
    await broker.close();
  });

  it("prefetch bounds the messages in flight to a member until it acks", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("q", 1);
    const a = member(broker, "g", { prefetch: 4 });
    broker.append({ topic: "q", partition: 0, records: range("m", 0, 10) });
    await tick();
    expect(ids(a.got)).toEqual(["m0", "m1", "m2", "m3"]);
    await a.ack(a.got.slice(0, 2));
    await tick();
    expect(ids(a.got)).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);
    await broker.close();
  });

  it("nack redelivers with the redelivered flag and a delivery count", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("q", 1);
    const a = member(broker);
    broker.append({ topic: "q", partition: 0, records: range("m", 0, 2) });
    await tick();
    await a.nack([a.got[0]!]);
    await tick();
    expect(ids(a.got)).toEqual(["m0", "m1", "m0"]);
    expect(a.got[2]).toMatchObject({ redelivered: true, deliveryCount: 2, offset: 0 });
    expect(a.got[0]!.redelivered).toBe(false);
    await broker.close();
  });

  it("redelivers after the ack timeout", async () => {
    const { broker, clock } = await openBroker();
    await broker.createTopic("q", 1);
    const a = member(broker);
    broker.append({ topic: "q", partition: 0, records: range("m", 0, 1) });
    await tick();
    (clock as ManualClock).advance(999);
    broker.heartbeat({ group: "g", memberId: a.id });
    broker.tick();
    await tick();
    expect(a.got).toHaveLength(1);
    (clock as ManualClock).advance(2);
    broker.heartbeat({ group: "g", memberId: a.id });
    broker.tick();
    await tick();
    expect(ids(a.got)).toEqual(["m0", "m0"]);
    // The timed-out delivery can no longer be acked.
    await expect(a.ack([a.got[0]!]).then(() => a.ack([a.got[0]!]))).rejects.toMatchObject({
      info: { name: "UNKNOWN_DELIVERY" },
    });
    await broker.close();
  });

  it("when a member leaves or dies, its unacked messages go to another member", async () => {
    const { broker, clock } = await openBroker();
    await broker.createTopic("q", 1);
    // Ack timeouts far away: only the member's death can bring the messages back.
    const a = member(broker, "g", { prefetch: 5, ackTimeoutMs: 600_000 });
    broker.append({ topic: "q", partition: 0, records: range("m", 0, 5) });
    await tick();
    expect(a.got).toHaveLength(5);
    const b = member(broker, "g", { prefetch: 5, ackTimeoutMs: 600_000 });
    await a.ack(a.got.slice(0, 2));
    // a dies: no heartbeats past the session timeout.
    (clock as ManualClock).advance(5001);
    broker.heartbeat({ group: "g", memberId: b.id });
    broker.tick();
    await tick();
    expect(ids(b.got)).toEqual(["m2", "m3", "m4"]);
    expect(b.got.every((d) => d.redelivered)).toBe(true);
    await broker.close();
  });

  it("after maxDeliveries a message goes to the dead-letter topic and is settled", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("q", 1);
    const a = member(broker, "g", { maxDeliveries: 2 });
    broker.append({ topic: "q", partition: 0, records: range("m", 0, 2) });
    await tick();
    await a.ack([a.got[1]!]);
    await a.nack([a.got[0]!]);
    await tick();
    expect(a.got[2]).toMatchObject({ offset: 0, deliveryCount: 2 });
    await a.nack([a.got[2]!]);
    await tick();
    await tick();
    expect(a.got).toHaveLength(3);
    const dlq = broker.fetchNow({ partitions: [{ topic: "q.dlq", partition: 0, offset: 0 }] }).partitions[0]!;
    expect(dlq.count).toBe(1);
    expect(text(dlq.batches[0]!.records[0]!.payload)).toBe("m0");
    expect(broker.queueStats("g")).toMatchObject({ deadLetteredMessages: 1, inFlightMessages: 0 });
    expect(broker.committedOffsets("g", [{ topic: "q", partition: 0 }])[0]!.offset).toBe(2);
    await broker.close();
  });

  it("acks of messages not in flight to the member are refused and settle nothing", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("q", 1);
    const a = member(broker);
    broker.append({ topic: "q", partition: 0, records: range("m", 0, 2) });
    await tick();
    await expect(
      broker.queueSettle({
        group: "g",
        memberId: a.id,
        acks: [
          { topic: "q", partition: 0, offset: 0 },
          { topic: "q", partition: 0, offset: 99 },
        ],
      }),
    ).rejects.toMatchObject({ info: { name: "UNKNOWN_DELIVERY" } });
    expect(broker.queueStats("g")!.inFlightMessages).toBe(2);
    await broker.close();
  });

  it("progress (the acked prefix) survives a restart; unacked messages come again", async () => {
    const first = await openBroker();
    await first.broker.createTopic("q", 1);
    const a = member(first.broker);
    first.broker.append({ topic: "q", partition: 0, records: range("m", 0, 6) });
    await tick();
    await a.ack([a.got[0]!, a.got[1]!, a.got[3]!]);
    await first.broker.close();
    const second = await openBroker(first.logs);
    const b = member(second.broker);
    await tick();
    expect(ids(b.got)).toEqual(["m2", "m3", "m4", "m5"]);
    await second.broker.close();
  });

  it("property: whatever the acks, nacks, timeouts and member deaths, every message is settled exactly once", async () => {
    const { default: fc } = await import("fast-check");
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("ack" as const),
        member: fc.nat(),
        take: fc.integer({ min: 1, max: 8 }),
      }),
      fc.record({
        kind: fc.constant("nack" as const),
        member: fc.nat(),
        take: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({ kind: fc.constant("timeout" as const) }),
      fc.record({ kind: fc.constant("leave" as const), member: fc.nat() }),
      fc.record({ kind: fc.constant("join" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 25 }),
        fc.integer({ min: 1, max: 30 }),
        async (ops, count) => {
          const { broker, clock } = await openBroker();
          await broker.createTopic("q", 2);
          for (let i = 0; i < count; i++)
            broker.append({ topic: "q", partition: i % 2, records: range("m", i, i + 1) });
          const live: ReturnType<typeof member>[] = [
            member(broker, "g", { prefetch: 4 }),
            member(broker, "g", { prefetch: 4 }),
          ];
          const used = new Map<ReturnType<typeof member>, Set<QueueDelivery>>();
          const acked = new Map<string, number>();
          const settleEach = async (m: ReturnType<typeof member>, take: number, ack: boolean) => {
            const done = used.get(m) ?? new Set();
            used.set(m, done);
            for (const d of m.got.filter((x) => !done.has(x)).slice(0, take)) {
              done.add(d);
              try {
                await (ack ? m.ack([d]) : m.nack([d]));
                if (ack) acked.set(text(d.payload), (acked.get(text(d.payload)) ?? 0) + 1);
              } catch {
                // stale: timed out or its member left; it was redelivered elsewhere
              }
            }
          };
          for (const o of ops) {
            await tick();
            if (o.kind === "ack" || o.kind === "nack") {
              if (live.length > 0) await settleEach(live[o.member % live.length]!, o.take, o.kind === "ack");
            } else if (o.kind === "timeout") {
              (clock as ManualClock).advance(OPTIONS.ackTimeoutMs + 1);
              for (const m of live) broker.heartbeat({ group: "g", memberId: m.id });
              broker.tick();
            } else if (o.kind === "leave") {
              if (live.length > 0) {
                const [gone] = live.splice(o.member % live.length, 1);
                broker.leaveGroup({ group: "g", memberId: gone!.id });
              }
            } else {
              live.push(member(broker, "g", { prefetch: 4 }));
            }
          }
          if (live.length === 0) live.push(member(broker, "g", { prefetch: 4 }));
          for (let round = 0; round < 200; round++) {
            await tick();
            for (const m of live) await settleEach(m, 100, true);
            const st = broker.queueStats("g")!;
            if (st.inFlightMessages === 0 && st.pendingRedeliveries === 0) break;
          }
          const dlq = broker.topicExists("q.dlq")
            ? broker.fetchNow({ partitions: [{ topic: "q.dlq", partition: 0, offset: 0 }], maxRecords: 1e6 })
                .partitions[0]!
            : null;
          const dead: string[] = [];
          if (dlq !== null)
            for (const b of dlq.batches) for (const r of b.records) dead.push(text(r.payload));
          for (const [id, n] of acked) expect(n, `${id} acked ${n} times`).toBe(1);
          for (const id of dead) expect(acked.has(id), `${id} both acked and dead-lettered`).toBe(false);
          expect(acked.size + dead.length).toBe(count);
          const committed = broker.committedOffsets(
            "g",
            [0, 1].map((p) => ({ topic: "q", partition: p })),
          );
          expect(committed.map((c) => c.offset ?? 0)).toEqual([Math.ceil(count / 2), Math.floor(count / 2)]);
          await broker.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});
