import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReferenceClient } from "../client/client.js";
import type { ApiSpec } from "../protocol/api.js";
import { APIS } from "../protocol/apis.js";
import { Reader } from "../protocol/codec.js";
import { recordSetRecords } from "../protocol/common.js";
import { wireError } from "../protocol/errors.js";
import { beginRequest, endFrame, FrameDecoder, readServerHeader } from "../protocol/frame.js";
import { readPush } from "../protocol/push.js";
import type { FetchResponseIn } from "../protocol/requests/05-fetch.js";
import { type RunningBrokerServer, startBrokerServer } from "./run.js";

let dir: string;
let server: RunningBrokerServer;
const clients: ReferenceClient[] = [];

async function connect(): Promise<ReferenceClient> {
  const c = await ReferenceClient.connect({ host: server.host, port: server.port });
  clients.push(c);
  return c;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "refserver-"));
  server = await startBrokerServer({
    host: "127.0.0.1",
    port: 0,
    dataDir: dir,
    flush: "always",
    maxFrameBytes: 1 << 20,
  });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const rec = (s: string) => ({ key: null, payload: Buffer.from(s) });

describe("reference server", () => {
  it("a member leaves its group when the connection it joined on closes: its partitions move at once", async () => {
    const admin = await connect();
    await admin.request(APIS.createTopic, { name: "t", partitions: 4 });
    const join = (c: ReferenceClient, memberId: string | null) =>
      c.request(APIS.joinGroup, {
        group: "g",
        memberId,
        clientId: "c",
        topics: ["t"],
        sessionTimeoutMs: 60_000,
        strategy: "range",
        mode: "log",
      });
    const a = await connect();
    const b = await connect();
    const ja = await join(a, null);
    const jb = await join(b, null);
    expect(jb.assignment).toHaveLength(2);
    // b's client dies without leaving; its session (60 s) has not expired.
    b.destroy();
    const deadline = Date.now() + 2000;
    let state = await a.request(APIS.heartbeat, { group: "g", memberId: ja.memberId });
    while (state.assignment.length < 4 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      state = await a.request(APIS.heartbeat, { group: "g", memberId: ja.memberId });
    }
    expect(state.assignment.map((tp) => tp.partition).sort()).toEqual([0, 1, 2, 3]);
    expect(state.generation).toBe(jb.generation + 1);
    // A member that left explicitly is not left twice when its connection closes later.
    await a.request(APIS.leaveGroup, { group: "g", memberId: ja.memberId });
    const c = await connect();
    const jc = await join(c, null);
    a.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect((await c.request(APIS.heartbeat, { group: "g", memberId: jc.memberId })).generation).toBe(
      jc.generation,
    );
  });

  it("negotiates versions, creates a topic, produces and fetches over pipelined requests", async () => {
    const c = await connect();
    expect(c.brokerVersion).toMatch(/reference/);
    expect((await c.request(APIS.createTopic, { name: "t", partitions: 2 })).errorCode).toBe(0);
    const again = await c.request(APIS.createTopic, { name: "t", partitions: 2 });
    expect(again.errorCode).toBe(36);
    const sends = Array.from({ length: 20 }, (_, i) =>
      c.request(APIS.produce, {
        acks: "flushed",
        producerId: -1,
        producerEpoch: -1,
        transactional: false,
        batches: [{ topic: "t", partition: i % 2, baseSequence: -1, records: [rec(`m${i}`)] }],
      }),
    );
    const results = await Promise.all(sends);
    expect(results.map((r) => r.results[0]?.baseOffset)).toEqual(
      Array.from({ length: 20 }, (_, i) => Math.floor(i / 2)),
    );
    const f = (await c.request(APIS.fetch, {
      waitMs: 0,
      maxRecords: 100,
      maxBytes: 1 << 20,
      isolation: "read_uncommitted",
      group: null,
      positions: [{ topic: "t", partition: 1, offset: 3 }],
    })) as FetchResponseIn;
    const p = f.partitions[0]!;
    expect(p.errorCode).toBe(0);
    expect(p.highWatermark).toBe(10);
    expect(recordSetRecords(p.sets).map((r) => Buffer.from(r.payload).toString())).toEqual(
      [7, 9, 11, 13, 15, 17, 19].map((i) => `m${i}`),
    );
    expect(recordSetRecords(p.sets)[0]?.offset).toBe(3);
  });

  it("long-polls a fetch until a record arrives, and reports offset out of range with the log start", async () => {
    const c = await connect();
    await c.request(APIS.createTopic, { name: "lp", partitions: 1 });
    const started = Date.now();
    const waiting = c.request(
      APIS.fetch,
      {
        waitMs: 5000,
        maxRecords: 10,
        maxBytes: 1000,
        isolation: "read_uncommitted",
        group: null,
        positions: [{ topic: "lp", partition: 0, offset: 0 }],
      },
      5000,
    ) as Promise<FetchResponseIn>;
    await new Promise((r) => setTimeout(r, 100));
    const other = await connect();
    await other.request(APIS.produce, {
      acks: "leader",
      producerId: -1,
      producerEpoch: -1,
      transactional: false,
      batches: [{ topic: "lp", partition: 0, baseSequence: -1, records: [rec("late")] }],
    });
    const got = await waiting;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(recordSetRecords(got.partitions[0]?.sets ?? []).length).toBe(1);
    const oor = (await c.request(APIS.fetch, {
      waitMs: 0,
      maxRecords: 10,
      maxBytes: 1000,
      isolation: "read_uncommitted",
      group: null,
      positions: [{ topic: "lp", partition: 0, offset: 5 }],
    })) as FetchResponseIn;
    expect(oor.partitions[0]?.errorCode).toBe(1);
    expect(oor.partitions[0]?.logStartOffset).toBe(0);
  });

  it("pushes with credit, and reports an unknown subscription as an error code", async () => {
    const c = await connect();
    await c.request(APIS.createTopic, { name: "p", partitions: 1 });
    const got: string[] = [];
    const sub = c.subscribePushes((body) => {
      const b = readPush(body);
      // A v1 subscription gets record sets; a v0 one records.
      const records = b.kind === "sets" ? recordSetRecords(b.sets) : b.kind === "records" ? b.records : [];
      for (const r of records) got.push(Buffer.from(r.payload).toString());
    });
    await c.request(APIS.subscribe, {
      subscriptionId: sub.id,
      isolation: "read_uncommitted",
      group: null,
      flow: { kind: "credit", credit: 2 },
      positions: [{ topic: "p", partition: 0, offset: 0 }],
    });
    for (const s of ["a", "b", "c"]) {
      await c.request(APIS.produce, {
        acks: "leader",
        producerId: -1,
        producerEpoch: -1,
        transactional: false,
        batches: [{ topic: "p", partition: 0, baseSequence: -1, records: [rec(s)] }],
      });
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual(["a", "b"]);
    await c.request(APIS.credit, { subscriptionId: sub.id, credit: 5 });
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual(["a", "b", "c"]);
    const stats = await c.request(APIS.unsubscribe, { subscriptionId: sub.id });
    expect(stats.deliveredMessages).toBe(3);
    const missing = await c.request(APIS.credit, { subscriptionId: 999, credit: 1 });
    expect(missing.errorCode).toBe(1003);
  });

  it("still serves version 0 (records one by one) to a client that speaks only that", async () => {
    const c = await connect();
    await c.request(APIS.createTopic, { name: "v0", partitions: 1 });
    await c.request(APIS.produce, {
      acks: "leader",
      producerId: -1,
      producerEpoch: -1,
      transactional: false,
      batches: [{ topic: "v0", partition: 0, baseSequence: -1, records: [rec("x"), rec("y")] }],
    });
    // A raw v0 client: Produce v0, Fetch v0 and Subscribe v0 frames on a socket of its own.
    const raw = net.connect(server.port, "127.0.0.1");
    await new Promise((r) => raw.once("connect", r));
    const frames: Buffer[] = [];
    const d = new FrameDecoder();
    raw.on("data", (chunk) => d.push(chunk, (f) => frames.push(Buffer.from(f))));
    const send = (api: (typeof APIS)[keyof typeof APIS], req: unknown, correlationId: number) => {
      const w = beginRequest({ apiKey: api.key, apiVersion: 0, correlationId });
      (api as unknown as ApiSpec<unknown, unknown>).encodeRequest(w, req, 0);
      raw.write(endFrame(w));
    };
    send(
      APIS.produce,
      {
        acks: "leader",
        producerId: -1,
        producerEpoch: -1,
        transactional: false,
        batches: [{ topic: "v0", partition: 0, baseSequence: -1, records: [rec("z")] }],
      },
      1,
    );
    send(
      APIS.fetch,
      {
        waitMs: 0,
        maxRecords: 10,
        maxBytes: 1 << 20,
        isolation: "read_uncommitted",
        group: null,
        positions: [{ topic: "v0", partition: 0, offset: 0 }],
      },
      2,
    );
    send(
      APIS.subscribe,
      {
        subscriptionId: 7,
        isolation: "read_uncommitted",
        group: null,
        flow: { kind: "credit", credit: 10 },
        positions: [{ topic: "v0", partition: 0, offset: 1 }],
      },
      3,
    );
    for (let i = 0; i < 100 && frames.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    raw.destroy();
    const byId = (kind: string, id: number) =>
      frames.find((f) => readServerHeader(f).kind === kind && readServerHeader(f).id === id)!;
    const produced = APIS.produce.decodeResponse(new Reader(byId("response", 1), 5), 0);
    expect(produced.results[0]?.baseOffset).toBe(2);
    const fetched = APIS.fetch.decodeResponse(new Reader(byId("response", 2), 5), 0) as FetchResponseIn;
    expect(
      recordSetRecords(fetched.partitions[0]!.sets).map((r) => Buffer.from(r.payload).toString()),
    ).toEqual(["x", "y", "z"]);
    const pushed = readPush(new Reader(byId("push", 7), 5));
    expect(pushed.kind).toBe("records");
    if (pushed.kind === "records")
      expect(pushed.records.map((r) => [r.offset, Buffer.from(r.payload).toString()])).toEqual([
        [1, "y"],
        [2, "z"],
      ]);
  });

  it("closes only the connection that sent a malformed or oversized frame, with a FATAL frame first", async () => {
    const good = await connect();
    const bad = net.connect(server.port, "127.0.0.1");
    await new Promise((r) => bad.once("connect", r));
    const frames: Buffer[] = [];
    const decoder = new FrameDecoder();
    bad.on("data", (chunk) => decoder.push(chunk, (f) => frames.push(Buffer.from(f))));
    const closed = new Promise((r) => bad.once("close", r));
    // A Metadata request with trailing garbage.
    const w = beginRequest({ apiKey: 1, apiVersion: 0, correlationId: 77 }).int32(5);
    bad.write(endFrame(w));
    await closed;
    expect(frames.length).toBe(1);
    expect(readServerHeader(frames[0]!)).toEqual({ kind: "fatal", id: 77 });
    expect(new Reader(frames[0]!, 5).int16()).toBe(2);
    expect((await good.request(APIS.metadata, {})).errorCode).toBe(0);

    const big = net.connect(server.port, "127.0.0.1");
    await new Promise((r) => big.once("connect", r));
    const bigClosed = new Promise((r) => big.once("close", r));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(64 << 20);
    big.write(header);
    big.on("error", () => {});
    big.resume();
    await bigClosed;
    expect((await good.request(APIS.metadata, {})).errorCode).toBe(0);
  });

  it("an unsupported version fails that client with a clear error", async () => {
    const c = await connect();
    const w = beginRequest({ apiKey: 1, apiVersion: 9, correlationId: 5 });
    const raw = net.connect(server.port, "127.0.0.1");
    await new Promise((r) => raw.once("connect", r));
    const frames: Buffer[] = [];
    const d = new FrameDecoder();
    raw.on("data", (chunk) => d.push(chunk, (f) => frames.push(Buffer.from(f))));
    raw.write(endFrame(w));
    await new Promise((r) => raw.once("close", r));
    expect(new Reader(frames[0]!, 5).int16()).toBe(35);
    expect(wireError(35).name).toBe("UNSUPPORTED_VERSION");
    expect((await c.request(APIS.metadata, {})).errorCode).toBe(0);
  });
});
