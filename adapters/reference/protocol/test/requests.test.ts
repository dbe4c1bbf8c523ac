import { describe, expect, it } from "vitest";
import { API_LIST, APIS, supportedVersions } from "../apis.js";
import { Reader, Writer } from "../codec.js";
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
    expect(supportedVersions()).toContainEqual({ key: 0, minVersion: 0, maxVersion: 0 });
  });
});

describe.each(NAMES)("%s codec", (name) => {
  it("round-trips requests and responses, through frames fed one byte at a time", () => {
    const rand = mulberry32(name.length * 7919);
    for (let i = 0; i < 30; i++) {
      const s = sample(name, rand);
      const w = beginRequest({ apiKey: s.api.key, apiVersion: 0, correlationId: i });
      s.api.encodeRequest(w, s.request, 0);
      const frame = Buffer.from(endFrame(w));
      const got: Buffer[] = [];
      const d = new FrameDecoder();
      for (let b = 0; b < frame.length; b++)
        d.push(frame.subarray(b, b + 1), (f) => got.push(Buffer.from(f)));
      expect(got).toHaveLength(1);
      expect(readRequestHeader(got[0]!)).toEqual({ apiKey: s.api.key, apiVersion: 0, correlationId: i });
      const r = new Reader(got[0]!, REQUEST_HEADER_BYTES);
      expect(plain(s.api.decodeRequest(r, 0))).toEqual(plain(s.request));
      r.done(name);

      const rw = beginServerFrame("response", i);
      s.api.encodeResponse(rw, s.response, 0);
      const rr = new Reader(Buffer.from(endFrame(rw)).subarray(4), SERVER_HEADER_BYTES);
      expect(plain(s.api.decodeResponse(rr, 0))).toEqual(plain(s.response));
      rr.done(name);
    }
  });

  it("rejects every truncation of a request with a ProtocolError, never another error", () => {
    const s = sample(name, mulberry32(3));
    const w = new Writer();
    s.api.encodeRequest(w, s.request, 0);
    const body = Buffer.from(w.finish());
    for (let cut = 0; cut < body.length; cut++) {
      const r = new Reader(body.subarray(0, cut));
      expect(() => {
        s.api.decodeRequest(r, 0);
        r.done(name);
      }).toThrow(expect.objectContaining({ name: "ProtocolError" }));
    }
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
