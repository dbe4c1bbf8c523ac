import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePayload, PAYLOAD_HEADER_BYTES } from "../../core/payload.js";
import { BatchEncoder, HeaderReader } from "./payloads.js";

describe("hot-path payloads", () => {
  it("agree with the reference codec of core/payload.ts for every input", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 32 - 1 }),
        fc.nat({ max: 2 ** 32 - 200 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 300 }),
        fc.double({ min: 0, max: 4e12, noNaN: true }),
        fc.double({ min: 0, max: 4e12, noNaN: true }),
        (process, firstSeq, count, size, intendedMs, sentMs) => {
          const enc = new BatchEncoder(size, process, count);
          const reader = new HeaderReader();
          const payloads = enc.encode(count, firstSeq, intendedMs, sentMs);
          expect(payloads).toHaveLength(count);
          payloads.forEach((p, i) => {
            expect(p.length).toBe(Math.max(size, PAYLOAD_HEADER_BYTES));
            const expected = { process, sequence: firstSeq + i, intendedMs, sentMs };
            expect(decodePayload(p)).toEqual(expected);
            // also through a plain Uint8Array copy, as adapters may hand back
            expect(reader.read(new Uint8Array(p))).toBe(true);
            expect({ ...reader }).toMatchObject(expected);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps earlier batches intact when later ones are carved from the same slab", () => {
    const enc = new BatchEncoder(100, 7, 100);
    const batches = Array.from({ length: 300 }, (_, b) => enc.encode(100, b * 100, b, b + 0.5));
    const reader = new HeaderReader();
    batches.forEach((batch, b) => {
      batch.forEach((p, i) => {
        expect(reader.read(p)).toBe(true);
        expect([reader.process, reader.sequence, reader.intendedMs, reader.sentMs]).toEqual([
          7,
          b * 100 + i,
          b,
          b + 0.5,
        ]);
      });
    });
  });

  it("refuses foreign payloads", () => {
    const reader = new HeaderReader();
    expect(reader.read(Buffer.from("hello"))).toBe(false);
    expect(reader.read(Buffer.alloc(64, 7))).toBe(false);
  });
});
