import { describe, expect, it } from "vitest";
import { BROKER_ERRORS, isBrokerError } from "../errors.js";
import { openBroker, range, recs, values } from "./helpers.js";

describe("broker: topics, produce, fetch", () => {
  it("appends batches at consecutive offsets and fetches exact ranges", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    expect(broker.append({ topic: "t", partition: 0, records: range("m", 0, 10) }).baseOffset).toBe(0);
    expect(broker.append({ topic: "t", partition: 0, records: range("m", 10, 20) }).baseOffset).toBe(10);
    const r = broker.fetchNow({ partitions: [{ topic: "t", partition: 0, offset: 5 }], maxRecords: 7 });
    const p = r.partitions[0]!;
    expect(p.error).toBeNull();
    expect(values(p)).toEqual(["5:m5", "6:m6", "7:m7", "8:m8", "9:m9", "10:m10", "11:m11"]);
    expect(p.count).toBe(7);
    expect(p.nextOffset).toBe(12);
    expect(p.highWatermark).toBe(20);
    // At the end: empty, no error.
    const end = broker.fetchNow({ partitions: [{ topic: "t", partition: 0, offset: 20 }] }).partitions[0]!;
    expect(end.count).toBe(0);
    expect(end.error).toBeNull();
    await broker.close();
  });

  it("answers OFFSET_OUT_OF_RANGE with the log bounds beyond the end", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    broker.append({ topic: "t", partition: 0, records: recs("a") });
    const p = broker.fetchNow({ partitions: [{ topic: "t", partition: 0, offset: 5 }] }).partitions[0]!;
    expect(p.error).toBe(BROKER_ERRORS.OFFSET_OUT_OF_RANGE);
    expect(p.logStartOffset).toBe(0);
    expect(p.highWatermark).toBe(1);
    await broker.close();
  });

  it("answers OFFSET_OUT_OF_RANGE with the log start offset below it (after retention)", async () => {
    const { MemoryLogFactory } = await import("../../storage/memory-log-factory.js");
    const { broker } = await openBroker(
      new MemoryLogFactory({ segmentBytes: 10, retention: { maxAgeMs: null, maxBytes: 20 } }),
    );
    await broker.createTopic("t", 1);
    for (let i = 0; i < 10; i++) broker.append({ topic: "t", partition: 0, records: recs("0123456789") });
    broker.tick();
    const start = broker.listOffset("t", 0, "earliest");
    expect(start).toBeGreaterThan(0);
    const p = broker.fetchNow({ partitions: [{ topic: "t", partition: 0, offset: 0 }] }).partitions[0]!;
    expect(p.error?.name).toBe("OFFSET_OUT_OF_RANGE");
    expect(p.logStartOffset).toBe(start);
    await broker.close();
  });

  it("refuses unknown topics, duplicate topics and bad partition counts with table errors", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 2);
    await expect(broker.createTopic("t", 1)).rejects.toMatchObject({ code: 36 });
    await expect(broker.createTopic("u", 0)).rejects.toMatchObject({ code: 37 });
    await expect(broker.createTopic("u", 50_000)).rejects.toThrow(/use 1 to 4096/);
    expect(() => broker.append({ topic: "nope", partition: 0, records: recs("a") })).toThrow(/UNKNOWN_TOPIC/);
    expect(() => broker.append({ topic: "t", partition: 2, records: recs("a") })).toThrow(/no partition 2/);
    const p = broker.fetchNow({ partitions: [{ topic: "nope", partition: 0, offset: 0 }] }).partitions[0]!;
    expect(p.error).toBe(BROKER_ERRORS.UNKNOWN_TOPIC_OR_PARTITION);
    await broker.close();
    expect(() => broker.listTopics()).not.toThrow();
    try {
      broker.append({ topic: "t", partition: 0, records: recs("a") });
      expect.unreachable();
    } catch (err) {
      expect(isBrokerError(err, "BROKER_CLOSED")).toBe(true);
    }
  });

  it("long-poll: a waiting fetch wakes on append, not by timer", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 2);
    const started = performance.now();
    const waiting = broker.fetch({
      partitions: [
        { topic: "t", partition: 0, offset: 0 },
        { topic: "t", partition: 1, offset: 0 },
      ],
      waitMs: 5000,
    });
    setTimeout(() => broker.append({ topic: "t", partition: 1, records: recs("x", "y") }), 20);
    const r = await waiting;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(r.count).toBe(2);
    expect(values(r.partitions[1]!)).toEqual(["0:x", "1:y"]);
    await broker.close();
  });

  it("long-poll: an empty wait ends after waitMs with nothing", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    const started = performance.now();
    const r = await broker.fetch({ partitions: [{ topic: "t", partition: 0, offset: 0 }], waitMs: 40 });
    expect(r.count).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    await broker.close();
  });

  it("close ends waiting fetches with BROKER_CLOSED", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    const waiting = broker.fetch({ partitions: [{ topic: "t", partition: 0, offset: 0 }], waitMs: 60_000 });
    await broker.close();
    const r = await waiting;
    expect(r.partitions[0]!.error).toBe(BROKER_ERRORS.BROKER_CLOSED);
  });

  it("keyed partitioning is stable and key-less messages go round-robin", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 7);
    const first = ["a", "b", "order-17", ""].map((k) => broker.partitionFor("t", k));
    const again = ["a", "b", "order-17", ""].map((k) => broker.partitionFor("t", k));
    expect(again).toEqual(first);
    const rr = Array.from({ length: 14 }, () => broker.partitionFor("t", null));
    expect(new Set(rr).size).toBe(7);
    await broker.close();
  });

  it("topics survive a restart over the same logs; delete removes them", async () => {
    const a = await openBroker();
    await a.broker.createTopic("keep", 3);
    await a.broker.createTopic("gone", 1);
    a.broker.append({ topic: "keep", partition: 2, records: recs("x") });
    await a.broker.deleteTopic("gone");
    await a.broker.close();
    const b = await openBroker(a.logs);
    expect(b.broker.listTopics()).toEqual([{ name: "keep", partitions: 3 }]);
    expect(b.broker.listOffset("keep", 2, "latest")).toBe(1);
    await b.broker.close();
  });

  it("walks the whole error table: codes unique, names match keys", async () => {
    const { BROKER_ERRORS: table, errorByCode } = await import("../errors.js");
    const codes = new Set<number>();
    for (const [k, v] of Object.entries(table)) {
      expect(v.name).toBe(k);
      expect(codes.has(v.code)).toBe(false);
      codes.add(v.code);
      expect(errorByCode(v.code)).toBe(v);
      expect(v.message.length).toBeGreaterThan(0);
    }
    expect(errorByCode(99999).name).toBe("UNKNOWN_SERVER_ERROR");
  });

  it("flags records a group was given before (redelivered), per group, for fetch and push", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    broker.append({ topic: "t", partition: 0, records: range("m", 0, 10) });
    const at = (offset: number, group: string) =>
      broker.fetchNow({ partitions: [{ topic: "t", partition: 0, offset }], maxRecords: 4, group })
        .partitions[0]!;
    expect(at(0, "g").redeliveredBelow).toBeUndefined();
    expect(at(4, "g").redeliveredBelow).toBeUndefined();
    expect(at(2, "g").redeliveredBelow).toBe(8);
    expect(at(0, "other").redeliveredBelow).toBeUndefined();
    const seen: (number | undefined)[] = [];
    broker.subscribe(
      {
        partitions: [{ topic: "t", partition: 0, offset: 6 }],
        flow: { kind: "credit", credit: 100 },
        group: "g",
      },
      { deliver: (r) => void seen.push(r.redeliveredBelow) },
    );
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([8]);
    await broker.close();
  });

  it("property: visitRecords and forEachRecord agree on every fetch range", async () => {
    const { default: fc } = await import("fast-check");
    const { forEachRecord, visitRecords } = await import("../partition.js");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }),
        fc.nat(),
        fc.integer({ min: 1, max: 40 }),
        async (sizes, fromSeed, max) => {
          const { broker } = await openBroker();
          await broker.createTopic("t", 1);
          let n = 0;
          for (const size of sizes) {
            broker.append({ topic: "t", partition: 0, records: range("m", n, n + size) });
            n += size;
          }
          const from = fromSeed % n;
          const r = broker.fetchNow({
            partitions: [{ topic: "t", partition: 0, offset: from }],
            maxRecords: max,
          }).partitions[0]!;
          const a: string[] = [];
          const b: string[] = [];
          forEachRecord(r, (rec) => a.push(`${rec.offset}:${rec.key}:${rec.payload.length}`));
          visitRecords(r, (offset, key, payload) => b.push(`${offset}:${key}:${payload.length}`));
          expect(b).toEqual(a);
          expect(a.length).toBe(Math.min(max, n - from));
          await broker.close();
        },
      ),
      { numRuns: 50 },
    );
  });
});
