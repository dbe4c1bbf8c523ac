import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePayload, encodePayload, PAYLOAD_HEADER_BYTES, PayloadError, stampSent } from "./payload.js";

describe("payload", () => {
  it("round-trips identity and both timestamps for every input", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 32 - 1 }),
        fc.nat({ max: 2 ** 32 - 1 }),
        fc.double({ min: 0, max: 4e12, noNaN: true }),
        fc.double({ min: 0, max: 4e12, noNaN: true }),
        fc.nat({ max: 4096 }),
        (process, sequence, intendedMs, sentMs, size) => {
          const p = encodePayload(size, process, sequence, intendedMs);
          stampSent(p, sentMs);
          expect(p.length).toBe(Math.max(size, PAYLOAD_HEADER_BYTES));
          expect(decodePayload(new Uint8Array(p))).toEqual({ process, sequence, intendedMs, sentMs });
        },
      ),
    );
  });

  it("rejects foreign payloads with a clear error", () => {
    expect(() => decodePayload(Buffer.from("hello"))).toThrow(PayloadError);
    expect(() => decodePayload(Buffer.alloc(64, 7))).toThrow(/another client/);
  });
});
