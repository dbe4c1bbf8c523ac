import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Delivery } from "../../adapters/contract.js";
import { ByteWriter, DecimalDigits } from "./byte-writer.js";
import { FileSink } from "./file-sink.js";
import { HistoryRecorder } from "./recorder.js";

const tmp = () => mkdtempSync(join(tmpdir(), "bb-history-"));
const readLines = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("HistoryRecorder", () => {
  it("records a retry by another process under the original ids, and fault markers", async () => {
    const path = join(tmp(), "history.jsonl");
    const r = new HistoryRecorder(path, { thread: "main" });
    const first = { process: 2, topic: "t", firstSeq: 40, count: 2, keys: null };
    r.sendInvoke(first);
    r.sendFailed(first, false, "acknowledgement lost");
    const retry = { ...first, process: 9, source: 2 };
    r.sendInvoke(retry);
    r.sendOk(retry, [
      { partition: 0, offset: 5 },
      { partition: 0, offset: 6 },
    ]);
    r.fault("producer-ack-loss", "producer:0", "start");
    await r.close();
    const lines = readLines(path);
    const ids = (l: Record<string, unknown>) => (l["value"] as { id: string }[]).map((m) => m.id);
    expect(lines.map((l) => [l["type"], l["process"]])).toEqual([
      ["invoke", 2],
      ["info", 2],
      ["invoke", 9],
      ["ok", 9],
      ["info", undefined],
    ]);
    for (const l of lines.slice(0, 4)) expect(ids(l)).toEqual(["2-40", "2-41"]);
    expect(lines[4]).toMatchObject({
      f: "fault",
      value: { kind: "producer-ack-loss", target: "producer:0", phase: "start" },
    });
  });

  it("writes every operation in the shape of docs/HISTORY.md", async () => {
    const path = join(tmp(), "history.jsonl");
    const r = new HistoryRecorder(path);
    r.meta({
      adapter: "reference",
      workload: "w",
      model: "log",
      expect: { delivery: "at-least-once", order: "partition" },
    });
    const batch = { process: 3, topic: "orders", firstSeq: 17, count: 2, keys: ["k1", null] };
    r.sendInvoke(batch);
    r.sendOk(batch, [
      { partition: 0, offset: 42 },
      { partition: 1, offset: null },
    ]);
    r.sendFailed({ ...batch, firstSeq: 19, keys: null }, false, "timeout");
    r.assign(7, "g1", { partitions: [{ topic: "orders", partition: 0 }], from: "committed" });
    r.pollInvoke(7, "g1");
    const deliveries: Delivery[] = [
      { topic: "orders", partition: 0, offset: 42, key: "k1", payload: new Uint8Array(), redelivered: false },
      {
        topic: "orders",
        partition: 1,
        offset: null,
        key: null,
        payload: new Uint8Array(),
        redelivered: true,
      },
    ];
    const ids = { procs: Uint32Array.of(3, 3), seqs: Uint32Array.of(17, 18) };
    r.pollOk(7, "g1", deliveries, ids);
    r.commit(7, "g1", { kind: "offsets", offsets: [{ topic: "orders", partition: 0, offset: 43 }] }, ids, 2);
    r.commit(8, 'g"q', { kind: "acks", count: 2 }, ids, 2);
    r.drain("g1", false);
    r.drain("g1", true);
    r.crash(7);
    await r.close();

    const lines = readLines(path);
    expect(lines.map((l) => `${l["type"]}:${l["f"]}`)).toEqual([
      "ok:meta",
      "invoke:send",
      "ok:send",
      "info:send",
      "ok:assign",
      "invoke:poll",
      "ok:poll",
      "ok:commit",
      "ok:commit",
      "ok:drain",
      "ok:drain",
      "info:crash",
    ]);
    expect(lines[0]?.["value"]).toEqual({
      format: 1,
      adapter: "reference",
      workload: "w",
      model: "log",
      expect: { delivery: "at-least-once", order: "partition" },
    });
    expect(lines[1]).toMatchObject({
      process: 3,
      value: [
        { id: "3-17", topic: "orders", key: "k1" },
        { id: "3-18", topic: "orders" },
      ],
    });
    expect(lines[2]?.["value"]).toEqual([
      { id: "3-17", topic: "orders", key: "k1", partition: 0, offset: 42 },
      { id: "3-18", topic: "orders", partition: 1, offset: null },
    ]);
    expect(lines[3]).toMatchObject({ value: [{ id: "3-19" }, { id: "3-20" }], error: "timeout" });
    expect(lines[4]).toMatchObject({
      process: 7,
      group: "g1",
      value: { partitions: [{ topic: "orders", partition: 0 }], from: "committed" },
    });
    expect(lines[6]).toMatchObject({
      process: 7,
      group: "g1",
      value: [
        { id: "3-17", topic: "orders", partition: 0, offset: 42, redelivered: false },
        { id: "3-18", topic: "orders", partition: 1, offset: null, redelivered: true },
      ],
    });
    expect(lines[7]?.["value"]).toEqual([{ topic: "orders", partition: 0, offset: 43 }]);
    expect(lines[8]).toMatchObject({ group: 'g"q', value: { ids: ["3-17", "3-18"] } });
    expect(lines[9]?.["value"]).toBeUndefined();
    expect(lines[10]?.["value"]).toEqual({ complete: true });
    // time: monotonic integer nanoseconds, in recording order
    const times = lines.slice(1).map((l) => l["time"] as number);
    for (const t of times) expect(Number.isSafeInteger(t)).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});

describe("FileSink", () => {
  it("keeps order across many chunks written concurrently", async () => {
    const path = join(tmp(), "sink.txt");
    const sink = new FileSink(path, { maxPending: 3 });
    let expected = "";
    let released = 0;
    for (let i = 0; i < 5000; i++) {
      const s = `${i}:${"x".repeat(i % 37)}é\n`;
      sink.write(Buffer.from(s), () => released++);
      expected += s;
    }
    await sink.close();
    expect(readFileSync(path, "utf8")).toBe(expected);
    expect(sink.bytesWritten).toBe(Buffer.byteLength(expected));
    expect(released).toBe(5000);
  });
});

describe("DecimalDigits", () => {
  it("holds the digits of every value it is set to, stepping or jumping", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant("step" as const), fc.maxSafeNat(), fc.nat({ max: 1_000_000 })), {
          maxLength: 200,
        }),
        (ops) => {
          const d = new DecimalDigits();
          let v = 0;
          for (const op of ops) {
            v = op === "step" ? v + 1 : op;
            if (v > Number.MAX_SAFE_INTEGER) v = 0;
            d.set(v);
            expect(Buffer.from(d.digits.subarray(d.start)).toString("latin1")).toBe(String(v));
          }
        },
      ),
    );
  });

  it("carries across every power of ten", () => {
    const d = new DecimalDigits();
    for (let v = 0; v <= 100_100; v++) d.set(v);
    expect(Buffer.from(d.digits.subarray(d.start)).toString("latin1")).toBe("100100");
    // stale digits of a longer earlier value must not take part in a carry
    d.set(19_999);
    d.set(999);
    d.set(1000);
    expect(Buffer.from(d.digits.subarray(d.start)).toString("latin1")).toBe("1000");
    for (const p of [9, 99, 999, 9_999_999, 2 ** 31 - 1, 2 ** 53 - 2]) {
      d.set(p);
      d.set(p + 1);
      expect(Buffer.from(d.digits.subarray(d.start)).toString("latin1")).toBe(String(p + 1));
    }
  });
});

describe("ByteWriter", () => {
  it("writes every safe non-negative integer as JSON does, across chunk boundaries", () => {
    const chunks: Buffer[] = [];
    const w = new ByteWriter(64, (chunk, release) => {
      chunks.push(Buffer.from(chunk));
      release();
    });
    let expected = "";
    fc.assert(
      fc.property(
        fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constantFrom(0, 9, 10, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1)),
        (n) => {
          w.reserve(24);
          w.uint(n);
          w.reserve(1);
          w.byte(44);
          expected += `${JSON.stringify(n)},`;
        },
      ),
    );
    w.reserve(32);
    w.number(-1.5);
    expected += "-1.5";
    w.flush();
    expect(Buffer.concat(chunks).toString("latin1")).toBe(expected);
  });
});

describe("recorder, message properties and group predicates", () => {
  it("writes props on every send message (with and without keys) and predicates in meta", async () => {
    const path = join(tmp(), "history.jsonl");
    const r = new HistoryRecorder(path);
    r.meta({
      adapter: "artemis",
      workload: "w",
      model: "queue",
      expect: { delivery: "at-least-once", order: "none" },
      predicates: { g1: "region = 'eu'" },
    });
    const props = ['{"region":"eu","priority":5}', '{"priority":"x\\"y"}'];
    const batch = { process: 3, topic: "orders", firstSeq: 0, count: 2, keys: ["k1", null], props };
    r.sendInvoke(batch);
    r.sendOk(batch, [
      { partition: 0, offset: null },
      { partition: 0, offset: null },
    ]);
    r.sendOk({ ...batch, keys: null }, [
      { partition: 0, offset: 1 },
      { partition: 0, offset: 2 },
    ]);
    r.sendFailed(batch, true, "refused");
    await r.close();
    const lines = readLines(path);
    expect(lines[0]?.["value"]).toMatchObject({ predicates: { g1: "region = 'eu'" } });
    expect(lines[1]?.["value"]).toEqual([
      { id: "3-0", topic: "orders", key: "k1", props: { region: "eu", priority: 5 } },
      { id: "3-1", topic: "orders", props: { priority: 'x"y' } },
    ]);
    expect(lines[2]?.["value"]).toEqual([
      {
        id: "3-0",
        topic: "orders",
        key: "k1",
        props: { region: "eu", priority: 5 },
        partition: 0,
        offset: null,
      },
      { id: "3-1", topic: "orders", props: { priority: 'x"y' }, partition: 0, offset: null },
    ]);
    expect(lines[3]?.["value"]).toEqual([
      { id: "3-0", topic: "orders", props: { region: "eu", priority: 5 }, partition: 0, offset: 1 },
      { id: "3-1", topic: "orders", props: { priority: 'x"y' }, partition: 0, offset: 2 },
    ]);
    expect(lines[4]).toMatchObject({
      type: "fail",
      value: [{ id: "3-0", props: { region: "eu", priority: 5 } }, { id: "3-1" }],
    });
  });
});
