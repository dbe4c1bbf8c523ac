import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32c } from "./crc32c.js";

/** Bit-at-a-time reference: slow and obviously right. */
function crc32cBitwise(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe("crc32c", () => {
  // Known vectors: RFC 3720 appendix B.4 (iSCSI) and the standard check value.
  it.each([
    ["", 0x00000000],
    ["123456789", 0xe3069283],
    ["a", 0xc1d04330],
    ["The quick brown fox jumps over the lazy dog", 0x22620404],
  ])("%j -> known value", (text, expected) => {
    expect(crc32c(Buffer.from(text))).toBe(expected);
  });

  it("RFC 3720 B.4 vectors", () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it("matches the bitwise reference and composes over pieces, for any input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (data, cut) => {
        const whole = crc32c(data);
        expect(whole).toBe(crc32cBitwise(data));
        const k = data.length === 0 ? 0 : cut % data.length;
        expect(crc32c(data, crc32c(data, 0, 0, k), k)).toBe(whole);
      }),
    );
  });
});
