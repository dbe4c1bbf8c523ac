import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { murmur2, partitionForKey } from "../partitioner.js";
import { openBroker, range, text } from "./helpers.js";

const enc = new TextEncoder();

describe("idempotent producer", () => {
  it("a retried batch already written returns its original offsets instead of writing twice", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    const { producerId, producerEpoch } = await broker.initProducerId({});
    const send = (seq: number, from: number, n: number) =>
      broker.append({
        topic: "t",
        partition: 0,
        records: range("m", from, from + n),
        producerId,
        producerEpoch,
        baseSequence: seq,
      });
    expect(send(0, 0, 3)).toEqual({ baseOffset: 0, duplicate: false });
    expect(send(3, 3, 2)).toEqual({ baseOffset: 3, duplicate: false });
    expect(send(0, 0, 3)).toEqual({ baseOffset: 0, duplicate: true });
    expect(send(3, 3, 2)).toEqual({ baseOffset: 3, duplicate: true });
    expect(broker.listOffset("t", 0, "latest")).toBe(5);
    await broker.close();
  });

  it("rejects out-of-order sequences (a gap or a sequence from the past that is not a retry)", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    const { producerId, producerEpoch } = await broker.initProducerId({});
    const send = (seq: number, n: number) => () =>
      broker.append({
        topic: "t",
        partition: 0,
        records: range("m", 0, n),
        producerId,
        producerEpoch,
        baseSequence: seq,
      });
    expect(send(5, 1)).toThrow(/OUT_OF_ORDER_SEQUENCE_NUMBER.*expected sequence 0/);
    send(0, 2)();
    expect(send(3, 1)).toThrow(/OUT_OF_ORDER_SEQUENCE_NUMBER: producer \d+: expected sequence 2, got 3/);
    expect(send(1, 1)).toThrow(/OUT_OF_ORDER/);
    expect(broker.listOffset("t", 0, "latest")).toBe(2);
    await broker.close();
  });

  it("sequences are per partition, and producer ids are unique across restarts", async () => {
    const first = await openBroker();
    await first.broker.createTopic("t", 2);
    const a = await first.broker.initProducerId({});
    const b = await first.broker.initProducerId({});
    expect(b.producerId).not.toBe(a.producerId);
    first.broker.append({ topic: "t", partition: 0, records: range("m", 0, 1), ...seq(a, 0) });
    first.broker.append({ topic: "t", partition: 1, records: range("m", 0, 1), ...seq(a, 0) });
    await first.broker.close();
    const second = await openBroker(first.logs);
    const c = await second.broker.initProducerId({});
    expect([a.producerId, b.producerId]).not.toContain(c.producerId);
    // Producer state is rebuilt from the log: a retry after the restart is still recognised.
    expect(
      second.broker.append({ topic: "t", partition: 0, records: range("m", 0, 1), ...seq(a, 0) }),
    ).toEqual({
      baseOffset: 0,
      duplicate: true,
    });
    expect(() =>
      second.broker.append({ topic: "t", partition: 1, records: range("m", 0, 1), ...seq(a, 5) }),
    ).toThrow(/OUT_OF_ORDER/);
    await second.broker.close();
  });

  it("property: any interleaving of new batches and retries of recent ones writes each batch exactly once, in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant("new" as const), size: fc.integer({ min: 1, max: 5 }) }),
            fc.record({ kind: fc.constant("retry" as const), back: fc.integer({ min: 1, max: 5 }) }),
          ),
          { maxLength: 60 },
        ),
        async (ops) => {
          const { broker } = await openBroker();
          await broker.createTopic("t", 1);
          const id = await broker.initProducerId({});
          const sent: { seq: number; values: string[]; offset: number }[] = [];
          let nextSeq = 0;
          let counter = 0;
          for (const op of ops) {
            if (op.kind === "new") {
              const values = Array.from({ length: op.size }, () => `v${counter++}`);
              const r = broker.append({
                topic: "t",
                partition: 0,
                records: values.map((v) => ({ key: null, payload: enc.encode(v) })),
                ...seq(id, nextSeq),
              });
              expect(r.duplicate).toBe(false);
              sent.push({ seq: nextSeq, values, offset: r.baseOffset });
              nextSeq += op.size;
            } else {
              const target = sent[sent.length - op.back];
              if (target === undefined) continue;
              const r = broker.append({
                topic: "t",
                partition: 0,
                records: target.values.map((v) => ({ key: null, payload: enc.encode(v) })),
                ...seq(id, target.seq),
              });
              expect(r).toEqual({ baseOffset: target.offset, duplicate: true });
            }
          }
          const log = broker.fetchNow({
            partitions: [{ topic: "t", partition: 0, offset: 0 }],
            maxRecords: 1e6,
          }).partitions[0]!;
          const written: string[] = [];
          for (const b of log.batches) for (const r of b.records) written.push(text(r.payload));
          expect(written).toEqual(sent.flatMap((s) => s.values));
          await broker.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

function seq(id: { producerId: number; producerEpoch: number }, baseSequence: number) {
  return { producerId: id.producerId, producerEpoch: id.producerEpoch, baseSequence };
}

describe("keyed partitioning", () => {
  it("murmur2 matches Kafka's reference values", () => {
    // From Kafka's UtilsTest.testMurmur2.
    const cases: [string, number][] = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [s, h] of cases) expect(murmur2(enc.encode(s))).toBe(h);
  });

  it("property: a key always maps to the same partition, within range", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const p = partitionForKey(key, n);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(n);
        expect(partitionForKey(key, n)).toBe(p);
      }),
    );
  });
});
