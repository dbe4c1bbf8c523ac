import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileLog } from "./file-log.js";
import { BATCH_HEADER_BYTES } from "./file-log-batch.js";
import { segmentFileName } from "./file-log-segment.js";
import { FileLogFactory } from "./file-log-storage.js";
import { type BatchHeader, OffsetOutOfRangeError } from "./partition-log.js";

const plain = (timestampMs = 1000): BatchHeader => ({
  producerId: -1,
  producerEpoch: 0,
  baseSequence: -1,
  transactional: false,
  control: null,
  timestampMs,
});

const rec = (s: string, key: string | null = null) => ({ key, payload: Buffer.from(s) });
const texts = (log: FileLog, from: number, max = 1000) =>
  log
    .read(from, max, 1 << 30)
    .flatMap((b) => b.records)
    .filter((r) => r.offset >= from)
    .map((r) => Buffer.from(r.payload).toString());

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "filelog-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("FileLog", () => {
  it("appends, reads back from cache and from disk, and survives a reopen", async () => {
    const log = new FileLog(dir, { cacheBytes: 0 });
    expect(log.append(plain(), [rec("a", "k"), rec("b")])).toBe(0);
    expect(log.append(plain(), [rec("c")])).toBe(2);
    expect(log.endOffset).toBe(3);
    expect(texts(log, 1)).toEqual(["b", "c"]);
    const [first] = log.read(0, 1, 1);
    expect(first?.records[0]?.key).toBe("k");
    expect(first?.records[1]?.key).toBeNull();
    await log.close();
    const again = new FileLog(dir);
    expect(again.recovery.truncatedBytes).toBe(0);
    expect(again.endOffset).toBe(3);
    expect(texts(again, 0)).toEqual(["a", "b", "c"]);
    again.append(plain(), [rec("d")]);
    expect(texts(again, 2)).toEqual(["c", "d"]);
    await again.close();
  });

  it("keeps batch headers, including control batches that take one offset", async () => {
    const log = new FileLog(dir);
    const txn = { ...plain(5), producerId: 7, producerEpoch: 2, baseSequence: 10, transactional: true };
    log.append(txn, [rec("x")]);
    log.append({ ...txn, control: "commit" }, []);
    log.append(plain(), [rec("y")]);
    await log.close();
    const again = new FileLog(dir);
    const batches = [...again.scan()];
    expect(batches.map((b) => b.baseOffset)).toEqual([0, 1, 2]);
    expect(batches[0]?.header).toEqual(txn);
    expect(batches[1]?.header.control).toBe("commit");
    expect(batches[1]?.records).toEqual([]);
    await again.close();
  });

  it("rolls segments by size and reads across them after reopening", async () => {
    const log = new FileLog(dir, { segmentBytes: 200, indexIntervalBytes: 50, cacheBytes: 0 });
    for (let i = 0; i < 50; i++) log.append(plain(), [rec(`m${i}`.padEnd(30, "."))]);
    expect(log.segmentCount).toBeGreaterThan(5);
    await log.close();
    const again = new FileLog(dir, { segmentBytes: 200, indexIntervalBytes: 50, cacheBytes: 0 });
    for (let from = 0; from < 50; from += 7) {
      expect(texts(again, from, 3)[0]).toBe(`m${from}`.padEnd(30, "."));
    }
    expect([...again.scan()].length).toBe(50);
    await again.close();
  });

  it("answers offset out of range below the start and above the end", async () => {
    const log = new FileLog(dir);
    log.append(plain(), [rec("a")]);
    expect(log.read(1, 10, 100)).toEqual([]);
    expect(() => log.read(2, 10, 100)).toThrow(OffsetOutOfRangeError);
    await log.close();
  });

  it("recovery truncates a torn batch at the tail", async () => {
    const log = new FileLog(dir);
    log.append(plain(), [rec("one")]);
    log.append(plain(), [rec("two")]);
    await log.close();
    const file = path.join(dir, segmentFileName(0, "log"));
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 3); // the second batch loses its last bytes
    const again = new FileLog(dir);
    expect(again.recovery.truncatedBytes).toBeGreaterThan(0);
    expect(again.endOffset).toBe(1);
    expect(texts(again, 0)).toEqual(["one"]);
    expect(again.append(plain(), [rec("three")])).toBe(1);
    await again.close();
    expect(texts(new FileLog(dir), 0)).toEqual(["one", "three"]);
  });

  it("recovery truncates at a batch whose CRC does not match, and at a torn length field", async () => {
    const log = new FileLog(dir);
    for (const s of ["a", "b", "c"]) log.append(plain(), [rec(s)]);
    await log.close();
    const file = path.join(dir, segmentFileName(0, "log"));
    const batchSize = BATCH_HEADER_BYTES + 8 + 1;
    const bytes = fs.readFileSync(file);
    bytes[batchSize + BATCH_HEADER_BYTES + 8]! ^= 0x01; // flip a bit in the second payload
    fs.writeFileSync(file, bytes);
    const again = new FileLog(dir);
    expect(again.endOffset).toBe(1);
    expect(again.recovery.truncatedBytes).toBe(2 * batchSize);
    await again.close();
    fs.appendFileSync(file, Buffer.from([0, 0])); // half a length field
    const third = new FileLog(dir);
    expect(third.endOffset).toBe(1);
    expect(third.recovery.truncatedBytes).toBe(2);
    await third.close();
  });

  it("rebuilds a missing or garbled index of a sealed segment", async () => {
    const opts = { segmentBytes: 300, indexIntervalBytes: 1 };
    const log = new FileLog(dir, opts);
    for (let i = 0; i < 20; i++) log.append(plain(), [rec(`v${i}`.padEnd(40))]);
    await log.close();
    fs.rmSync(path.join(dir, segmentFileName(0, "index")));
    const second = fs.readdirSync(dir).filter((f) => f.endsWith(".index"))[1]!;
    fs.writeFileSync(path.join(dir, second), Buffer.from([1, 2, 3]));
    const again = new FileLog(dir, { ...opts, cacheBytes: 0 });
    expect(again.endOffset).toBe(20);
    expect(texts(again, 0, 100).map((s) => s.trim())).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    await again.close();
  });

  it("reads everything after a crash that left the index without its last entries (written in bunches)", async () => {
    // One big segment with an index entry per batch: most entries are still held back at the crash.
    const opts = { segmentBytes: 1 << 20, indexIntervalBytes: 1 };
    const log = new FileLog(dir, opts);
    for (let i = 0; i < 100; i++) log.append(plain(), [rec(`w${i}`)]);
    log.closeAbruptly();
    // As if the process died with most entries still held back: the index keeps its first three.
    fs.truncateSync(path.join(dir, segmentFileName(0, "index")), 3 * 8);
    const again = new FileLog(dir, { ...opts, cacheBytes: 0 });
    expect(again.endOffset).toBe(100);
    expect(texts(again, 57, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `w${57 + i}`));
    expect(texts(again, 0, 1000)).toHaveLength(100);
    await again.close();
  });

  it("retention deletes whole old segments by size and by age, never the active one", async () => {
    const log = new FileLog(dir, { segmentBytes: 200, retention: { maxAgeMs: null, maxBytes: 400 } });
    for (let i = 0; i < 30; i++) log.append(plain(1000 + i), [rec("x".repeat(40))]);
    const before = log.segmentCount;
    const start = log.enforceRetention(5000);
    expect(start).toBeGreaterThan(0);
    expect(log.segmentCount).toBeLessThan(before);
    expect(log.sizeBytes).toBeLessThanOrEqual(400);
    expect(() => log.read(0, 1, 1)).toThrow(
      expect.objectContaining({ name: "OffsetOutOfRangeError", logStartOffset: start }),
    );
    expect(log.read(start, 1, 1)[0]?.baseOffset).toBe(start);
    await log.close();
    const reopened = new FileLog(dir, { segmentBytes: 200, retention: { maxAgeMs: 10, maxBytes: null } });
    expect(reopened.startOffset).toBe(start);
    reopened.enforceRetention(1_000_000);
    expect(reopened.segmentCount).toBe(1);
    expect(reopened.endOffset).toBe(30);
    await reopened.close();
  });

  it("group commit: concurrent flushes share fsyncs and end with everything durable", async () => {
    const log = new FileLog(dir, { flush: "always" });
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      log.append(plain(), [rec(`p${i}`)]);
      waits.push(log.flush());
    }
    expect(log.flushedOffset).toBeLessThan(50);
    expect(new Set(waits).size).toBeLessThanOrEqual(2);
    await Promise.all(waits);
    expect(log.flushedOffset).toBe(50);
    await log.close();
  });

  it("interval flush makes appends durable without anyone asking", async () => {
    const log = new FileLog(dir, { flush: "interval", flushIntervalMs: 10 });
    log.append(plain(), [rec("a")]);
    await new Promise((r) => setTimeout(r, 100));
    expect(log.flushedOffset).toBe(1);
    await log.close();
  });
});

describe("FileLogFactory", () => {
  it("lays out topic-partition directories and lists them back", async () => {
    const storage = new FileLogFactory(dir);
    const logs = [storage.openLog("orders", 0), storage.openLog("orders", 1), storage.openLog("a/b-c", 0)];
    for (const l of logs) l.append(plain(), [rec("z")]);
    await Promise.all(logs.map((l) => l.close()));
    expect(storage.listTopics()).toEqual([
      { name: "a/b-c", partitions: 1 },
      { name: "orders", partitions: 2 },
    ]);
    storage.deleteTopic("orders");
    await storage.remove("a/b-c", 0);
    expect(storage.listTopics()).toEqual([]);
    await (await storage.open("a/b-c", 0)).close();
    expect(storage.listTopics()).toEqual([{ name: "a/b-c", partitions: 1 }]);
  });
});
