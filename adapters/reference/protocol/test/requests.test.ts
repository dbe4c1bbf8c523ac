import { describe, expect, it } from "vitest";
import { EncodedRecords, type RecordsIn, recordInputs } from "../../storage/record-section.js";
import type { ApiSpec } from "../api.js";
import { API_LIST, APIS, supportedVersions } from "../apis.js";
import { Reader, Writer } from "../codec.js";
import { recordSetRecords, toRecordSets } from "../common.js";
import {
  beginRequest,
  beginServerFrame,
  endFrame,
  FrameDecoder,
  REQUEST_HEADER_BYTES,
  readRequestHeader,
  SERVER_HEADER_BYTES,
} from "../frame.js";
import { type PushBody, readPush, writePush } from "../push.js";
import { mulberry32, SAMPLE_MAKERS, sample } from "./samples.js";

const NAMES = Object.keys(APIS) as (keyof typeof APIS)[];

/** Fetch encodes record views; decoded payloads are Buffers: compare as plain bytes. */
const plain = (x: unknown): unknown =>
  JSON.parse(JSON.stringify(x, (_k, v) => (v?.type === "Buffer" ? v.data : v)));

describe("request table", () => {
  it("has one unique key per request type and a sample for each", () => {
    const keys = API_LIST.map((a) => a.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(Object.keys(SAMPLE_MAKERS).sort()).toEqual([...NAMES].sort());
    expect(supportedVersions()).toContainEqual({ key: 0, minVersion: 0, maxVersion: 1 });
  });
});

/** Every version of every request type. */
const CASES = NAMES.flatMap((name) => {
  const api = APIS[name] as unknown as ApiSpec<unknown, unknown>;
  const versions: number[] = [];
  for (let v = api.minVersion; v <= api.maxVersion; v++) versions.push(v);
  return versions.map((version) => [name, version] as const);
});

/**
 * A decoded request as its sample wrote it: Produce v1 records come as their encoded section,
 * Subscribe tells the push format its version implies.
 */
function asSent(name: keyof typeof APIS, decoded: unknown, version: number): unknown {
  if (name === "produce") {
    const req = decoded as { batches: { records: RecordsIn }[] };
    return { ...req, batches: req.batches.map((b) => ({ ...b, records: recordInputs(b.records) })) };
  }
  if (name === "subscribe") {
    const { pushes, ...rest } = decoded as { pushes: string };
    expect(pushes).toBe(version === 0 ? "records" : "sets");
    return rest;
  }
  return decoded;
}

/** A response as a client of `version` reads it: ApiVersions v0 has no frame cap. */
function answered(name: keyof typeof APIS, response: unknown, version: number): unknown {
  if (name !== "apiVersions" || version >= 1) return response;
  const { maxFrameBytes: _, ...v0 } = response as { maxFrameBytes?: number };
  return v0;
}

describe.each(CASES)("%s codec v%i", (name, version) => {
  it("round-trips requests and responses, through frames fed one byte at a time", () => {
    const rand = mulberry32(name.length * 7919 + version);
    for (let i = 0; i < 30; i++) {
      const s = sample(name, rand);
      const w = beginRequest({ apiKey: s.api.key, apiVersion: version, correlationId: i });
      s.api.encodeRequest(w, s.request, version);
      const frame = Buffer.from(endFrame(w));
      const got: Buffer[] = [];
      const d = new FrameDecoder();
      for (let b = 0; b < frame.length; b++)
        d.push(frame.subarray(b, b + 1), (f) => got.push(Buffer.from(f)));
      expect(got).toHaveLength(1);
      expect(readRequestHeader(got[0]!)).toEqual({
        apiKey: s.api.key,
        apiVersion: version,
        correlationId: i,
      });
      const r = new Reader(got[0]!, REQUEST_HEADER_BYTES);
      expect(plain(asSent(name, s.api.decodeRequest(r, version), version))).toEqual(plain(s.request));
      r.done(name);

      const rw = beginServerFrame("response", i);
      s.api.encodeResponse(rw, s.response, version);
      const rr = new Reader(Buffer.from(endFrame(rw)).subarray(4), SERVER_HEADER_BYTES);
      expect(plain(s.api.decodeResponse(rr, version))).toEqual(plain(answered(name, s.response, version)));
      rr.done(name);
    }
  });

  it("rejects every truncation of a request with a ProtocolError, never another error", () => {
    const s = sample(name, mulberry32(3));
    const w = new Writer();
    s.api.encodeRequest(w, s.request, version);
    const body = Buffer.from(w.finish());
    for (let cut = 0; cut < body.length; cut++) {
      const r = new Reader(body.subarray(0, cut));
      expect(() => {
        s.api.decodeRequest(r, version);
        r.done(name);
      }).toThrow(expect.objectContaining({ name: "ProtocolError" }));
    }
  });
});

describe("record sets (version 1)", () => {
  it("a Produce v1 whose records do not fill their bytes exactly is refused as malformed", () => {
    const good = EncodedRecords.encode([{ key: "k", payload: Buffer.from("abc") }]);
    for (const [count, bytes] of [
      [2, good.bytes],
      [0, good.bytes],
      [1, good.bytes.subarray(0, good.bytes.length - 1)],
      [1, Buffer.concat([good.bytes, Buffer.from([0])])],
    ] as const) {
      const w = new Writer();
      w.int8(1)
        .int64(-1)
        .int16(-1)
        .bool(false)
        .int32(1)
        .string("t")
        .int32(0)
        .int32(-1)
        .int32(count)
        .bytes(bytes);
      expect(() => APIS.produce.decodeRequest(new Reader(Buffer.from(w.finish())), 1)).toThrow(
        expect.objectContaining({ name: "ProtocolError" }),
      );
    }
  });

  it("split records into runs of consecutive offsets, and back", () => {
    const records = [3, 4, 5, 9, 11, 12].map((offset) => ({
      offset,
      key: null,
      payload: Buffer.from([offset]),
    }));
    const sets = toRecordSets(records);
    expect(sets.map((x) => [x.baseOffset, x.count])).toEqual([
      [3, 3],
      [9, 1],
      [11, 2],
    ]);
    expect(plain(recordSetRecords(sets))).toEqual(plain(records));
  });
});

describe("push bodies", () => {
  it("round-trip", () => {
    const bodies: PushBody[] = [
      {
        kind: "records",
        topic: "t",
        partition: 2,
        nextOffset: 10,
        redeliveredBelow: 9,
        records: [{ offset: 9, key: null, payload: Buffer.from("x") }],
      },
      {
        kind: "sets",
        topic: "t",
        partition: 1,
        fromOffset: 7,
        nextOffset: 12,
        redeliveredBelow: 0,
        sets: toRecordSets(
          [7, 8, 11].map((offset) => ({ offset, key: offset === 8 ? "k" : null, payload: Buffer.from("z") })),
        ),
      },
      {
        kind: "queue",
        messages: [
          { topic: "t", partition: 0, offset: 3, key: "k", payload: Buffer.from("y"), deliveryCount: 2 },
        ],
      },
      { kind: "ended", errorCode: 1001, errorMessage: "overflow" },
    ];
    for (const b of bodies) {
      const w = new Writer();
      writePush(w, b);
      expect(plain(readPush(new Reader(Buffer.from(w.finish()))))).toEqual(plain(b));
    }
  });
});
