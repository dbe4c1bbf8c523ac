/**
 * One conformance suite for every PartitionLog implementation (memory and file), as nats-server
 * runs one suite against its memory and file stores. An implementation's test file calls
 * `describePartitionLog(name, factory)`; everything here must hold for each of them.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  type BatchHeader,
  OffsetOutOfRangeError,
  type PartitionLog,
  type RecordInput,
  type RetentionPolicy,
  type StoredBatch,
} from "./partition-log.js";

export interface LogTestOptions {
  /** Roll segments after about this many payload bytes. */
  readonly segmentBytes: number;
  readonly retention: RetentionPolicy;
}

export interface OpenedLog {
  readonly log: PartitionLog;
  /** Opens the same partition again (after `log.close()`): what a restart would see. */
  reopen(): Promise<PartitionLog>;
}

export interface PartitionLogTestFactory {
  /** A fresh, empty partition log with these options (a new location each call). */
  create(options: LogTestOptions): Promise<OpenedLog>;
  /** Removes whatever the factory created (temporary directories). */
  cleanup?(): Promise<void>;
}

const NO_RETENTION: RetentionPolicy = { maxAgeMs: null, maxBytes: null };
const BIG = 1 << 30;
const enc = new TextEncoder();
const dec = new TextDecoder();

export function header(overrides: Partial<BatchHeader> = {}): BatchHeader {
  return {
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    transactional: false,
    control: null,
    timestampMs: 1_700_000_000_000,
    ...overrides,
  };
}

function records(prefix: string, n: number, key: string | null = null): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({ key, payload: enc.encode(`${prefix}-${i}`) }));
}

/** offset → "key|payload" of every record of the batches, at or after `from`. */
function flatten(batches: readonly StoredBatch[], from = 0): string[] {
  const out: string[] = [];
  for (const b of batches) {
    for (const r of b.records)
      if (r.offset >= from) out.push(`${r.offset}:${r.key ?? "∅"}|${dec.decode(r.payload)}`);
  }
  return out;
}

function readAll(log: PartitionLog, from: number): StoredBatch[] {
  const out: StoredBatch[] = [];
  let at = from;
  while (at < log.endOffset) {
    const got = log.read(at, 1000, BIG);
    if (got.length === 0) break;
    out.push(...got);
    const last = got[got.length - 1]!;
    at = last.baseOffset + Math.max(last.records.length, 1);
  }
  return out;
}

export function describePartitionLog(name: string, factory: PartitionLogTestFactory): void {
  describe(`PartitionLog conformance: ${name}`, () => {
    const open: PartitionLog[] = [];
    const make = async (options: Partial<LogTestOptions> = {}) => {
      const o = await factory.create({
        segmentBytes: options.segmentBytes ?? 1 << 20,
        retention: options.retention ?? NO_RETENTION,
      });
      open.push(o.log);
      return o;
    };
    afterEach(async () => {
      for (const l of open.splice(0)) await l.close().catch(() => undefined);
      await factory.cleanup?.();
    });

    it("starts empty: start = end = 0, reading at the end gives [], beyond it is out of range", async () => {
      const { log } = await make();
      expect(log.startOffset).toBe(0);
      expect(log.endOffset).toBe(0);
      expect(log.read(0, 10, BIG)).toEqual([]);
      expect(() => log.read(1, 10, BIG)).toThrow(OffsetOutOfRangeError);
      expect([...log.scan()]).toEqual([]);
    });

    it("appends at consecutive offsets and reads back keys, payloads and headers", async () => {
      const { log } = await make();
      expect(log.append(header(), records("a", 3, "k"))).toBe(0);
      const h = header({
        producerId: 7,
        producerEpoch: 2,
        baseSequence: 5,
        transactional: true,
        timestampMs: 42,
      });
      expect(log.append(h, records("b", 2))).toBe(3);
      expect(log.endOffset).toBe(5);
      const got = log.read(0, 100, BIG);
      expect(flatten(got)).toEqual(["0:k|a-0", "1:k|a-1", "2:k|a-2", "3:∅|b-0", "4:∅|b-1"]);
      expect(got[1]!.baseOffset).toBe(3);
      expect(got[1]!.header).toEqual(h);
    });

    it("a control batch has no records and takes one offset", async () => {
      const { log } = await make();
      log.append(header({ producerId: 1, producerEpoch: 0, transactional: true }), records("t", 2));
      const at = log.append(
        header({ producerId: 1, producerEpoch: 0, transactional: true, control: "commit" }),
        [],
      );
      expect(at).toBe(2);
      expect(log.endOffset).toBe(3);
      const got = log.read(2, 10, BIG);
      expect(got).toHaveLength(1);
      expect(got[0]!.header.control).toBe("commit");
      expect(got[0]!.records).toEqual([]);
      expect(log.append(header(), records("x", 1))).toBe(3);
    });

    it("reading from the middle of a batch returns that batch (the caller skips earlier records)", async () => {
      const { log } = await make();
      log.append(header(), records("a", 10));
      log.append(header(), records("b", 10));
      const got = log.read(13, 100, BIG);
      expect(got[0]!.baseOffset).toBe(10);
      expect(flatten(got, 13)[0]).toBe("13:∅|b-3");
    });

    it("limits by records and bytes, but always returns at least one batch", async () => {
      const { log } = await make();
      for (let i = 0; i < 10; i++) log.append(header(), records(`b${i}`, 10));
      expect(log.read(0, 1, BIG)).toHaveLength(1);
      expect(log.read(0, 10, 1)).toHaveLength(1);
      const some = log.read(0, 25, BIG);
      const n = some.reduce((a, b) => a + b.records.length, 0);
      expect(n).toBeGreaterThanOrEqual(10);
      expect(n).toBeLessThan(25 + 10);
      const all = log.read(0, 1000, BIG);
      expect(all.reduce((a, b) => a + b.records.length, 0)).toBe(100);
    });

    it("keeps its own copy of payloads: changing the producer's buffer later changes nothing", async () => {
      const { log } = await make();
      const payload = enc.encode("original");
      log.append(header(), [{ key: null, payload }]);
      payload.set(enc.encode("CHANGED!"));
      expect(dec.decode(log.read(0, 1, BIG)[0]!.records[0]!.payload)).toBe("original");
    });

    it("payloads that are views of one buffer (back to back or not) read back each its own bytes", async () => {
      const { log } = await make();
      const slab = enc.encode("aaabbbcccdddeee");
      const views = [0, 3, 6, 9, 12].map((at) => ({ key: null, payload: slab.subarray(at, at + 3) }));
      log.append(header(), views);
      log.append(header(), [views[4]!, views[0]!, { key: "k", payload: slab.subarray(1, 2) }]);
      slab.fill(0);
      const got = flatten(log.read(0, 100, BIG));
      expect(got).toEqual([
        "0:∅|aaa",
        "1:∅|bbb",
        "2:∅|ccc",
        "3:∅|ddd",
        "4:∅|eee",
        "5:∅|eee",
        "6:∅|aaa",
        "7:k|a",
      ]);
    });

    it("flush makes everything durable: flushedOffset reaches endOffset", async () => {
      const { log } = await make();
      log.append(header(), records("a", 5));
      await Promise.all([log.flush(), log.flush()]);
      expect(log.flushedOffset).toBe(log.endOffset);
    });

    it("scan yields every batch oldest first", async () => {
      const { log } = await make();
      log.append(header(), records("a", 2));
      log.append(header({ producerId: 3, producerEpoch: 0, transactional: true, control: "abort" }), []);
      log.append(header(), records("b", 1));
      const batches = [...log.scan()];
      expect(batches.map((b) => b.baseOffset)).toEqual([0, 2, 3]);
      expect(batches[1]!.header.control).toBe("abort");
    });

    it("retention by size deletes whole old segments, never the active one", async () => {
      const { log } = await make({ segmentBytes: 100, retention: { maxAgeMs: null, maxBytes: 300 } });
      for (let i = 0; i < 40; i++) log.append(header(), [{ key: null, payload: new Uint8Array(50).fill(i) }]);
      const start = log.enforceRetention(Date.now());
      expect(start).toBe(log.startOffset);
      expect(start).toBeGreaterThan(0);
      expect(start).toBeLessThan(40);
      // The newest record is always kept, and reading at the start works.
      expect(log.read(39, 1, BIG)[0]!.records.at(-1)!.offset).toBe(39);
      expect(log.read(start, 1, BIG)[0]!.baseOffset).toBe(start);
      try {
        log.read(start - 1, 1, BIG);
        expect.unreachable("reading below the start must fail");
      } catch (err) {
        expect(err).toBeInstanceOf(OffsetOutOfRangeError);
        expect((err as OffsetOutOfRangeError).logStartOffset).toBe(start);
      }
      expect([...log.scan()][0]!.baseOffset).toBe(start);
      // Everything still retained reads back.
      expect(flatten(readAll(log, start)).length).toBe(40 - start);
    });

    it("retention by age deletes segments whose newest batch is too old", async () => {
      const { log } = await make({ segmentBytes: 1, retention: { maxAgeMs: 1000, maxBytes: null } });
      for (let i = 0; i < 5; i++) log.append(header({ timestampMs: 1000 + i }), records(`old${i}`, 1));
      for (let i = 0; i < 3; i++) log.append(header({ timestampMs: 10_000 + i }), records(`new${i}`, 1));
      expect(log.enforceRetention(10_500)).toBe(5);
      expect(flatten(readAll(log, 5))).toEqual(["5:∅|new0-0", "6:∅|new1-0", "7:∅|new2-0"]);
      // Nothing more is old enough.
      expect(log.enforceRetention(10_600)).toBe(5);
    });

    it("without a retention limit nothing is deleted", async () => {
      const { log } = await make({ segmentBytes: 10 });
      for (let i = 0; i < 20; i++) log.append(header({ timestampMs: 0 }), records("x", 1));
      expect(log.enforceRetention(Date.now())).toBe(0);
    });

    it("reopened after close it holds the same batches, offsets and start", async () => {
      const opened = await make({ segmentBytes: 100, retention: { maxAgeMs: null, maxBytes: 200 } });
      const { log } = opened;
      for (let i = 0; i < 30; i++) {
        log.append(
          header({ producerId: i, producerEpoch: 1, baseSequence: i * 2 }),
          records(`r${i}`, 2, `k${i}`),
        );
      }
      log.append(header({ producerId: 5, producerEpoch: 1, transactional: true, control: "commit" }), []);
      log.enforceRetention(Date.now());
      await log.flush();
      const before = {
        start: log.startOffset,
        end: log.endOffset,
        content: flatten(readAll(log, log.startOffset)),
      };
      const headers = [...log.scan()].map((b) => [b.baseOffset, b.header]);
      await log.close();
      const again = await opened.reopen();
      open.push(again);
      expect(again.startOffset).toBe(before.start);
      expect(again.endOffset).toBe(before.end);
      expect(flatten(readAll(again, again.startOffset))).toEqual(before.content);
      expect([...again.scan()].map((b) => [b.baseOffset, b.header])).toEqual(headers);
      // And it continues where it was.
      expect(again.append(header(), records("after", 1))).toBe(before.end);
    });

    it("property: for any batch sizes, every offset reads back its own record", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 30 }),
          async (sizes) => {
            const { log } = await make({ segmentBytes: 64 });
            const expected: string[] = [];
            for (const [i, n] of sizes.entries()) {
              if (n === 0) {
                log.append(
                  header({ producerId: 1, producerEpoch: 0, transactional: true, control: "abort" }),
                  [],
                );
                expected.push("");
                continue;
              }
              const rs = records(`b${i}`, n);
              const base = log.append(header(), rs);
              expect(base).toBe(expected.length);
              for (let j = 0; j < n; j++) expected.push(`b${i}-${j}`);
            }
            expect(log.endOffset).toBe(expected.length);
            for (let o = 0; o < expected.length; o++) {
              const got = log.read(o, 1, BIG);
              expect(got.length).toBeGreaterThan(0);
              const b = got[0]!;
              expect(b.baseOffset).toBeLessThanOrEqual(o);
              if (expected[o] === "") {
                expect(b.baseOffset).toBe(o);
                expect(b.header.control).toBe("abort");
              } else {
                const rec = b.records.find((r) => r.offset === o);
                expect(rec === undefined ? undefined : dec.decode(rec.payload)).toBe(expected[o]);
              }
            }
            await log.close();
          },
        ),
        { numRuns: 40 },
      );
    });
  });
}
