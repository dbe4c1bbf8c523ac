import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignRange, assignRoundRobin, type MemberSubscription } from "../assignors.js";
import { isBrokerError } from "../errors.js";
import { openBroker } from "./helpers.js";

const parts = (a: readonly { topic: string; partition: number }[]) =>
  a.map((x) => `${x.topic}/${x.partition}`);

async function expectBrokerError(p: Promise<unknown> | (() => unknown), name: string) {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(isBrokerError(err), String(err)).toBe(true);
    expect((err as { info: { name: string } }).info.name).toBe(name);
    return;
  }
  expect.unreachable(`expected ${name}`);
}

describe("consumer groups", () => {
  it("rebalances on join and leave: new generation, members learn it from their heartbeat", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 4);
    const a = broker.joinGroup({ group: "g", memberId: null, clientId: "a", topics: ["t"] });
    expect(parts(a.assignment)).toEqual(["t/0", "t/1", "t/2", "t/3"]);
    const b = broker.joinGroup({ group: "g", memberId: null, clientId: "b", topics: ["t"] });
    expect(b.generation).toBe(a.generation + 1);
    const aNow = broker.heartbeat({ group: "g", memberId: a.memberId });
    expect(aNow.generation).toBe(b.generation);
    expect(parts(aNow.assignment)).toEqual(["t/0", "t/1"]);
    expect(parts(b.assignment)).toEqual(["t/2", "t/3"]);
    broker.leaveGroup({ group: "g", memberId: a.memberId });
    const bNow = broker.heartbeat({ group: "g", memberId: b.memberId });
    expect(bNow.generation).toBe(b.generation + 1);
    expect(parts(bNow.assignment)).toEqual(["t/0", "t/1", "t/2", "t/3"]);
    await broker.close();
  });

  it("a member that stops heartbeating is removed after its session timeout, and the rest rebalance", async () => {
    const { broker, clock } = await openBroker();
    await broker.createTopic("t", 2);
    const a = broker.joinGroup({ group: "g", memberId: null, topics: ["t"], sessionTimeoutMs: 1000 });
    const b = broker.joinGroup({ group: "g", memberId: null, topics: ["t"], sessionTimeoutMs: 1000 });
    clock.advance(600);
    broker.heartbeat({ group: "g", memberId: b.memberId });
    broker.tick();
    expect(broker.describeGroup("g").members).toHaveLength(2);
    clock.advance(600); // a: 1200 ms silent; b: 600 ms
    broker.tick();
    const g = broker.describeGroup("g");
    expect(g.members.map((m) => m.memberId)).toEqual([b.memberId]);
    expect(parts(g.members[0]!.assignment)).toEqual(["t/0", "t/1"]);
    await expectBrokerError(
      () => broker.heartbeat({ group: "g", memberId: a.memberId }),
      "UNKNOWN_MEMBER_ID",
    );
    await broker.close();
  });

  it("fences commits: a stale generation is rejected, the current one accepted", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 2);
    const a = broker.joinGroup({ group: "g", memberId: null, topics: ["t"] });
    await broker.commitOffsets({
      group: "g",
      memberId: a.memberId,
      generation: a.generation,
      offsets: [{ topic: "t", partition: 0, offset: 5 }],
    });
    broker.joinGroup({ group: "g", memberId: null, topics: ["t"] });
    await expectBrokerError(
      broker.commitOffsets({
        group: "g",
        memberId: a.memberId,
        generation: a.generation,
        offsets: [{ topic: "t", partition: 0, offset: 9 }],
      }),
      "ILLEGAL_GENERATION",
    );
    expect(broker.committedOffsets("g", [{ topic: "t", partition: 0 }])[0]!.offset).toBe(5);
    const now = broker.heartbeat({ group: "g", memberId: a.memberId });
    await broker.commitOffsets({
      group: "g",
      memberId: a.memberId,
      generation: now.generation,
      offsets: [{ topic: "t", partition: 0, offset: 9 }],
    });
    expect(broker.committedOffsets("g", [{ topic: "t", partition: 0 }])[0]!.offset).toBe(9);
    await expectBrokerError(
      broker.commitOffsets({ group: "g", memberId: "nobody", generation: now.generation, offsets: [] }),
      "UNKNOWN_MEMBER_ID",
    );
    await broker.close();
  });

  it("ownedSince tells each member since when it has owned each partition without a break", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 2);
    const a = broker.joinGroup({ group: "g", memberId: null, clientId: "a", topics: ["t"] });
    expect(a.ownedSince).toEqual([a.generation, a.generation]);
    const b = broker.joinGroup({ group: "g", memberId: null, clientId: "b", topics: ["t"] });
    const aNow = broker.heartbeat({ group: "g", memberId: a.memberId });
    // a keeps t/0 since its first generation; b got t/1 now.
    expect(parts(aNow.assignment)).toEqual(["t/0"]);
    expect(aNow.ownedSince).toEqual([a.generation]);
    expect(b.ownedSince).toEqual([b.generation]);
    broker.leaveGroup({ group: "g", memberId: b.memberId });
    const aLater = broker.heartbeat({ group: "g", memberId: a.memberId });
    expect(aLater.ownedSince).toEqual([a.generation, aLater.generation]);
    await broker.close();
  });

  it("standalone commits are allowed only while the group has no members", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    await broker.commitOffsets({
      group: "g",
      memberId: null,
      generation: -1,
      offsets: [{ topic: "t", partition: 0, offset: 3 }],
    });
    broker.joinGroup({ group: "g", memberId: null, topics: ["t"] });
    await expectBrokerError(
      broker.commitOffsets({
        group: "g",
        memberId: null,
        generation: -1,
        offsets: [{ topic: "t", partition: 0, offset: 4 }],
      }),
      "UNKNOWN_MEMBER_ID",
    );
    await broker.close();
  });

  it("refuses a member whose strategy or mode differs from the group's", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    broker.joinGroup({ group: "g", memberId: null, topics: ["t"], strategy: "range" });
    await expectBrokerError(
      () => broker.joinGroup({ group: "g", memberId: null, topics: ["t"], strategy: "roundrobin" }),
      "INCONSISTENT_GROUP_PROTOCOL",
    );
    await expectBrokerError(
      () => broker.joinGroup({ group: "g", memberId: null, topics: ["t"], mode: "queue" }),
      "INCONSISTENT_GROUP_PROTOCOL",
    );
    await expectBrokerError(
      () => broker.joinGroup({ group: "h", memberId: null, topics: ["t"], sessionTimeoutMs: 1 }),
      "INVALID_SESSION_TIMEOUT",
    );
    await broker.close();
  });

  it("a topic created later is assigned to the members subscribed to it", async () => {
    const { broker } = await openBroker();
    const a = broker.joinGroup({ group: "g", memberId: null, topics: ["later"] });
    expect(a.assignment).toEqual([]);
    await broker.createTopic("later", 2);
    const now = broker.heartbeat({ group: "g", memberId: a.memberId });
    expect(now.generation).toBeGreaterThan(a.generation);
    expect(parts(now.assignment)).toEqual(["later/0", "later/1"]);
    await broker.close();
  });

  it("deleting a topic forgets its committed offsets, also across a restart", async () => {
    const first = await openBroker();
    await first.broker.createTopic("t", 1);
    await first.broker.createTopic("keep", 1);
    await first.broker.commitOffsets({
      group: "g",
      memberId: null,
      generation: -1,
      offsets: [
        { topic: "t", partition: 0, offset: 4 },
        { topic: "keep", partition: 0, offset: 2 },
      ],
    });
    await first.broker.deleteTopic("t");
    await first.broker.createTopic("t", 1);
    expect(first.broker.committedOffsets("g")).toEqual([{ topic: "keep", partition: 0, offset: 2 }]);
    await first.broker.close();
    const second = await openBroker(first.logs);
    expect(second.broker.committedOffsets("g")).toEqual([{ topic: "keep", partition: 0, offset: 2 }]);
    await second.broker.close();
  });

  it("__consumer_offsets is compacted by rolling to a snapshot; offsets survive, also across a restart", async () => {
    const options = { offsetsCompactionRecords: 20 };
    const first = await openBroker(undefined, undefined, options);
    await first.broker.createTopic("t", 3);
    const m = first.broker.joinGroup({ group: "g", memberId: null, topics: ["t"] });
    for (let i = 1; i <= 100; i++) {
      await first.broker.commitOffsets({
        group: "g",
        memberId: m.memberId,
        generation: m.generation,
        offsets: [{ topic: "t", partition: i % 3, offset: i }],
      });
    }
    await new Promise((r) => setTimeout(r, 10));
    const expected = [
      { topic: "t", partition: 0, offset: 99 },
      { topic: "t", partition: 1, offset: 100 },
      { topic: "t", partition: 2, offset: 98 },
    ];
    const all = [0, 1, 2].map((p) => ({ topic: "t", partition: p }));
    expect(first.broker.committedOffsets("g", all)).toEqual(expected);
    await first.broker.close();
    // Only the current roll is kept, and it is small.
    const stale = await first.logs.open("__consumer_offsets", 0);
    expect(stale.endOffset).toBe(0);
    const second = await openBroker(first.logs, undefined, options);
    expect(second.broker.committedOffsets("g", all)).toEqual(expected);
    await second.broker.close();
  });

  it("a roll interrupted before __cluster named it is finished on open", async () => {
    const first = await openBroker();
    await first.broker.createTopic("t", 1);
    await first.broker.commitOffsets({
      group: "g",
      memberId: null,
      generation: -1,
      offsets: [{ topic: "t", partition: 0, offset: 5 }],
    });
    await first.broker.close();
    // The crash: the next roll holds a snapshot (and a later commit), __cluster never heard of it.
    const { encodeOffsetRecord } = await import("../records.js");
    const next = await first.logs.open("__consumer_offsets", 1);
    const h = {
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      transactional: false,
      control: null,
      timestampMs: 0,
    };
    next.append(h, [encodeOffsetRecord({ group: "g", topic: "t", partition: 0, offset: 5 })]);
    next.append(h, [encodeOffsetRecord({ group: "g", topic: "t", partition: 0, offset: 9 })]);
    await next.close();
    const second = await openBroker(first.logs);
    expect(second.broker.committedOffsets("g", [{ topic: "t", partition: 0 }])[0]!.offset).toBe(9);
    await second.broker.commitOffsets({
      group: "g",
      memberId: null,
      generation: -1,
      offsets: [{ topic: "t", partition: 0, offset: 11 }],
    });
    await second.broker.close();
    const third = await openBroker(first.logs);
    expect(third.broker.committedOffsets("g", [{ topic: "t", partition: 0 }])[0]!.offset).toBe(11);
    await third.broker.close();
  });

  it("committed offsets survive a broker restart over the same logs", async () => {
    const first = await openBroker();
    await first.broker.createTopic("t", 3);
    const m = first.broker.joinGroup({ group: "g", memberId: null, topics: ["t"] });
    await first.broker.commitOffsets({
      group: "g",
      memberId: m.memberId,
      generation: m.generation,
      offsets: [
        { topic: "t", partition: 0, offset: 10 },
        { topic: "t", partition: 2, offset: 7 },
      ],
    });
    await first.broker.commitOffsets({
      group: "g",
      memberId: m.memberId,
      generation: m.generation,
      offsets: [{ topic: "t", partition: 0, offset: 12 }],
    });
    await first.broker.close();
    const second = await openBroker(first.logs);
    expect(
      second.broker.committedOffsets(
        "g",
        [0, 1, 2].map((p) => ({ topic: "t", partition: p })),
      ),
    ).toEqual([
      { topic: "t", partition: 0, offset: 12 },
      { topic: "t", partition: 1, offset: null },
      { topic: "t", partition: 2, offset: 7 },
    ]);
    await second.broker.close();
  });
});

describe("ownership history", () => {
  it("property: ownedSince is exactly the start of each member's unbroken ownership of a partition", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("join" as const) }),
      fc.record({ kind: fc.constant("leave" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("expire" as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom("range" as const, "roundrobin" as const),
        async (ops, partitions, strategy) => {
          const { broker, clock } = await openBroker();
          await broker.createTopic("t", partitions);
          // generation → partition → owner
          const owners = new Map<number, Map<number, string>>();
          const record = () => {
            const g = broker.describeGroup("g");
            const m = new Map<number, string>();
            for (const member of g.members)
              for (const tp of member.assignment) m.set(tp.partition, member.memberId);
            owners.set(g.generation, m);
            return g;
          };
          const live: string[] = [];
          for (const o of ops) {
            if (o.kind === "join") {
              live.push(
                broker.joinGroup({
                  group: "g",
                  memberId: null,
                  topics: ["t"],
                  strategy,
                  sessionTimeoutMs: 100,
                }).memberId,
              );
            } else if (live.length > 0) {
              const [id] = live.splice(o.pick % live.length, 1);
              if (o.kind === "leave") broker.leaveGroup({ group: "g", memberId: id! });
              else {
                clock.advance(50);
                for (const other of live) broker.heartbeat({ group: "g", memberId: other });
                clock.advance(60);
                broker.tick();
              }
            }
            // Live members heartbeat so that only the chosen one expires.
            for (const other of live) broker.heartbeat({ group: "g", memberId: other });
            record();
          }
          const g = record();
          for (const m of g.members) {
            m.assignment.forEach((tp, i) => {
              const since = m.ownedSince[i]!;
              for (let gen = since; gen <= g.generation; gen++) {
                const o = owners.get(gen);
                if (o !== undefined) expect(o.get(tp.partition)).toBe(m.memberId);
              }
              const before = owners.get(since - 1);
              if (before !== undefined) expect(before.get(tp.partition)).not.toBe(m.memberId);
            });
          }
          await broker.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("assignment strategies", () => {
  const counts = new Map([
    ["a", 3],
    ["b", 2],
  ]);
  const all = (ids: string[]): MemberSubscription[] =>
    ids.map((memberId) => ({ memberId, topics: ["a", "b"] }));

  it("range: contiguous ranges per topic, the first members one extra", () => {
    const r = assignRange(all(["m2", "m1"]), counts);
    expect(parts(r.get("m1")!)).toEqual(["a/0", "a/1", "b/0"]);
    expect(parts(r.get("m2")!)).toEqual(["a/2", "b/1"]);
  });

  it("roundrobin: partitions dealt in turn over all topics", () => {
    const r = assignRoundRobin(all(["m1", "m2"]), counts);
    expect(parts(r.get("m1")!)).toEqual(["a/0", "a/2", "b/1"]);
    expect(parts(r.get("m2")!)).toEqual(["a/1", "b/0"]);
  });

  it("roundrobin skips members not subscribed to a topic", () => {
    const r = assignRoundRobin(
      [
        { memberId: "m1", topics: ["a"] },
        { memberId: "m2", topics: ["a", "b"] },
      ],
      counts,
    );
    expect(parts(r.get("m1")!)).toEqual(["a/0", "a/2"]);
    expect(parts(r.get("m2")!)).toEqual(["a/1", "b/0", "b/1"]);
  });

  const scenario = fc.record({
    topics: fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.integer({ min: 1, max: 20 })),
    members: fc.uniqueArray(
      fc.record({
        memberId: fc.string({ minLength: 1, maxLength: 4 }),
        topics: fc.subarray(["a", "b", "c", "d"]),
      }),
      { minLength: 1, maxLength: 8, selector: (m) => m.memberId },
    ),
  });

  for (const [name, assign] of [
    ["range", assignRange],
    ["roundrobin", assignRoundRobin],
  ] as const) {
    it(`property (${name}): every partition of a subscribed topic goes to exactly one subscriber`, () => {
      fc.assert(
        fc.property(scenario, ({ topics, members }) => {
          const counts = new Map(Object.entries(topics));
          const result = assign(members, counts);
          const seen = new Map<string, string>();
          for (const [member, list] of result) {
            const sub = members.find((m) => m.memberId === member)!;
            for (const tp of list) {
              const k = `${tp.topic}/${tp.partition}`;
              expect(seen.has(k), `${k} assigned twice`).toBe(false);
              seen.set(k, member);
              expect(sub.topics).toContain(tp.topic);
            }
          }
          for (const [topic, n] of counts) {
            const subscribed = members.some((m) => m.topics.includes(topic));
            for (let p = 0; p < n; p++) expect(seen.has(`${topic}/${p}`)).toBe(subscribed);
          }
        }),
      );
    });
  }

  it("property: with equal subscriptions both strategies balance to within one partition per member", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), (m, n) => {
        const members = Array.from({ length: m }, (_, i) => ({ memberId: `m${i}`, topics: ["a"] }));
        for (const assign of [assignRange, assignRoundRobin]) {
          const sizes = [...assign(members, new Map([["a", n]])).values()].map((l) => l.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});
