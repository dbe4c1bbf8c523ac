import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clockDecision, estimateOffset } from "./clock-offset.js";

describe("estimateOffset", () => {
  it("takes the round trip with the smallest delay", () => {
    const o = estimateOffset([
      { t0: 0, tw: 1050, t1: 40 }, // 40 ms round trip
      { t0: 100, tw: 1101, t1: 102 }, // 2 ms: the best
      { t0: 200, tw: 1230, t1: 220 },
    ]);
    expect(o).toEqual({ offsetMs: 1000, uncertaintyMs: 1, roundTripMs: 2 });
  });

  it("brackets the true offset whatever the delays on the way there and back", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.array(
          fc.tuple(fc.double({ min: 0, max: 50, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true })),
          {
            minLength: 1,
            maxLength: 16,
          },
        ),
        (offset, delays) => {
          let t = 1000;
          const samples = delays.map(([there, back]) => {
            const s = { t0: t, tw: t + there + offset, t1: t + there + back };
            t += 100;
            return s;
          });
          const o = estimateOffset(samples);
          expect(Math.abs(o.offsetMs - offset)).toBeLessThanOrEqual(o.uncertaintyMs + 1e-6);
        },
      ),
    );
  });
});

describe("clockDecision", () => {
  it("leaves an offset within its uncertainty uncorrected, corrects a larger one, refuses an imprecise one", () => {
    expect(clockDecision({ offsetMs: 0.3, uncertaintyMs: 0.5, roundTripMs: 1 }, 5)).toEqual({
      correctionMs: 0,
    });
    expect(clockDecision({ offsetMs: -42, uncertaintyMs: 0.5, roundTripMs: 1 }, 5)).toEqual({
      correctionMs: -42,
    });
    const refused = clockDecision({ offsetMs: 3, uncertaintyMs: 8, roundTripMs: 16 }, 5);
    expect(refused).toEqual({
      refusal:
        "its clock is known only within ±8.00 ms (round trip 16.00 ms), more than the bound 5 ms (--clock-bound-ms)",
    });
  });
});
