import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtocolError, Reader, Writer } from "./codec.js";
import {
  beginRequest,
  beginServerFrame,
  endFrame,
  FrameDecoder,
  FrameTooLargeError,
  readRequestHeader,
  readServerHeader,
} from "./frame.js";

function requestFrame(correlationId: number, body: Uint8Array): Buffer {
  return Buffer.from(endFrame(beginRequest({ apiKey: 3, apiVersion: 1, correlationId }).bytes(body)));
}

describe("FrameDecoder", () => {
  it("reassembles pipelined frames fed one byte at a time", () => {
    const frames = [
      requestFrame(1, Buffer.from("a")),
      requestFrame(2, Buffer.alloc(0)),
      requestFrame(3, Buffer.alloc(300, 7)),
    ];
    const stream = Buffer.concat(frames);
    const got: number[] = [];
    const d = new FrameDecoder();
    for (let i = 0; i < stream.length; i++) {
      d.push(stream.subarray(i, i + 1), (f) => got.push(readRequestHeader(f).correlationId));
    }
    expect(got).toEqual([1, 2, 3]);
    expect(d.pendingBytes).toBe(0);
  });

  it("yields the same frames for every split of the stream", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (bodies, cuts) => {
          const stream = Buffer.concat(bodies.map((b, i) => requestFrame(i, b)));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const d = new FrameDecoder();
          const got: Buffer[] = [];
          let last = 0;
          for (const p of [...points, stream.length]) {
            d.push(stream.subarray(last, p), (f) => got.push(Buffer.from(f)));
            last = p;
          }
          expect(got.map((f) => new Reader(f, 8).bytes())).toEqual(bodies.map((b) => Buffer.from(b)));
        },
      ),
    );
  });

  it("rejects an oversized frame as soon as its size field arrives", () => {
    const d = new FrameDecoder(100);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(101);
    expect(() => d.push(header.subarray(0, 2), () => {})).not.toThrow();
    expect(() => d.push(header.subarray(2), () => {})).toThrow(FrameTooLargeError);
  });

  it("server frames carry kind and id", () => {
    const f = endFrame(beginServerFrame("push", 42).int16(5));
    const frames: Buffer[] = [];
    new FrameDecoder().push(f, (x) => frames.push(x));
    expect(readServerHeader(frames[0]!)).toEqual({ kind: "push", id: 42 });
  });
});

describe("codec", () => {
  it("round-trips every primitive", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.maxSafeInteger(),
        fc.option(fc.string({ maxLength: 50 })),
        fc.option(fc.uint8Array({ maxLength: 50 })),
        fc.boolean(),
        (i32, i64, s, b, flag) => {
          const w = new Writer(4).int32(i32).int64(i64).string(s).bytes(b).bool(flag).int64(-1);
          const r = new Reader(Buffer.from(w.finish()));
          expect(r.int32()).toBe(i32);
          expect(r.int64()).toBe(i64);
          expect(r.string()).toBe(s);
          const bytes = r.bytes();
          expect(bytes === null ? null : new Uint8Array(bytes)).toEqual(
            b === null ? null : new Uint8Array(b),
          );
          expect(r.bool()).toBe(flag);
          expect(r.int64()).toBe(-1);
          r.done("test");
        },
      ),
    );
  });

  it("rejects truncated input, forged array counts and trailing bytes", () => {
    expect(() => new Reader(Buffer.from([0, 5, 65])).string()).toThrow(ProtocolError);
    expect(() => new Reader(Buffer.from([0x7f, 0, 0, 0])).array((r) => r.int32(), 4)).toThrow(ProtocolError);
    const r = new Reader(Buffer.from([1, 2]));
    r.uint8();
    expect(() => r.done("x")).toThrow(/trailing/);
  });
});
