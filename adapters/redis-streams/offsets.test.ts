import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { offsetOf, parseStreamId, streamIdOf } from "./offsets.js";

const BASE = 1_795_000_000_000;

describe("stream id ↔ offset", () => {
  it("maps exact values", () => {
    expect(offsetOf(`${BASE}-0`, BASE)).toBe(0);
    expect(offsetOf(`${BASE}-7`, BASE)).toBe(7);
    expect(offsetOf(`${BASE + 1}-0`, BASE)).toBe(2 ** 20);
    expect(streamIdOf(2 ** 20 + 3, BASE)).toBe(`${BASE + 1}-3`);
  });

  it("is null outside the exact range, and without a base", () => {
    expect(offsetOf(`${BASE - 1}-0`, BASE)).toBeNull();
    expect(offsetOf(`${BASE}-${2 ** 20}`, BASE)).toBeNull();
    expect(offsetOf(`${BASE + 2 ** 33}-0`, BASE)).toBeNull();
    expect(offsetOf(`${BASE}-0`, null)).toBeNull();
  });

  it("rejects what is not a stream id", () => {
    expect(() => parseStreamId("abc-1")).toThrow(/not a stream id/);
  });

  it("keeps the stream's order, is injective and safe, and round-trips", () => {
    const id = fc.record({
      rel: fc.integer({ min: 0, max: 2 ** 33 - 1 }),
      seq: fc.integer({ min: 0, max: 2 ** 20 - 1 }),
    });
    fc.assert(
      fc.property(id, id, (a, b) => {
        const oa = offsetOf(`${BASE + a.rel}-${a.seq}`, BASE);
        const ob = offsetOf(`${BASE + b.rel}-${b.seq}`, BASE);
        expect(oa).not.toBeNull();
        expect(Number.isSafeInteger(oa)).toBe(true);
        const idOrder = Math.sign(a.rel - b.rel) || Math.sign(a.seq - b.seq);
        expect(Math.sign((oa as number) - (ob as number))).toBe(idOrder);
        expect(streamIdOf(oa as number, BASE)).toBe(`${BASE + a.rel}-${a.seq}`);
      }),
    );
  });
});
