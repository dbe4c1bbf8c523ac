import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FindMaxBounds, findMaxRate, roundRate, type TrialOutcome } from "./find-max.js";

const bounds = (over: Partial<FindMaxBounds> = {}): FindMaxBounds => ({
  startRate: 1000,
  maxRate: 10_000_000,
  precision: 0.05,
  minRate: 10,
  ...over,
});

/** A broker that holds every rate up to `limit` and none above. */
const upTo =
  (limit: number) =>
  async (rate: number): Promise<TrialOutcome> => ({
    rate,
    sustained: rate <= limit,
    reason: rate <= limit ? null : "backlog grew",
  });

describe("findMaxRate", () => {
  it("doubles while rates hold, then bisects to within the precision", async () => {
    const r = await findMaxRate(bounds(), upTo(50_000));
    expect(r.trials.map((t) => t.rate).slice(0, 7)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000]);
    expect(r.maxRate).toBeLessThanOrEqual(50_000);
    expect(r.maxRate).toBeGreaterThanOrEqual(50_000 / 1.05);
    expect(r.firstFailing!.rate).toBeGreaterThan(50_000);
    expect(r.capped).toBe(false);
  });

  it("goes down from the start when it does not hold, and says when nothing held", async () => {
    const r = await findMaxRate(bounds({ startRate: 8000 }), upTo(700));
    expect(r.trials.map((t) => t.rate).slice(0, 5)).toEqual([8000, 4000, 2000, 1000, 500]);
    expect(r.maxRate).toBeGreaterThanOrEqual(700 / 1.05);
    const none = await findMaxRate(bounds({ startRate: 100, minRate: 10 }), upTo(1));
    expect(none.maxRate).toBeNull();
    expect(none.trials.at(-1)!.rate).toBeGreaterThanOrEqual(10);
  });

  it("stops at maxRate and says the broker may go higher", async () => {
    const r = await findMaxRate(bounds({ maxRate: 100_000 }), upTo(Number.POSITIVE_INFINITY));
    expect(r).toMatchObject({ maxRate: 100_000, firstFailing: null, capped: true });
  });

  it("stops early when asked, keeping what it found", async () => {
    let n = 0;
    const r = await findMaxRate(bounds(), upTo(1e6), () => ++n > 2);
    expect(r.trials.length).toBe(3);
    expect(r.maxRate).toBe(4000);
  });

  it("finds a threshold to within the precision, in few trials, for any threshold (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 20, max: 5_000_000, noNaN: true }),
        fc.integer({ min: 100, max: 100_000 }),
        fc.constantFrom(0.02, 0.05, 0.1),
        async (limit, startRate, precision) => {
          const b = bounds({ startRate, precision });
          const r = await findMaxRate(b, upTo(limit));
          if (r.maxRate === null) {
            expect(roundRate(limit) < b.minRate * 2).toBe(true);
            return;
          }
          expect(r.maxRate).toBeLessThanOrEqual(limit);
          expect(r.firstFailing!.rate).toBeGreaterThan(limit);
          // Three significant digits (whole msg/s at least): the bisection may stop a rounding step short.
          const gap = r.firstFailing!.rate - r.maxRate;
          expect(gap).toBeLessThanOrEqual(Math.max((precision + 0.01) * r.maxRate, 1));
          const doublings = Math.ceil(Math.abs(Math.log2(limit / startRate))) + 1;
          expect(r.trials.length).toBeLessThanOrEqual(doublings + Math.ceil(Math.log2(1 / precision)) + 2);
          expect(new Set(r.trials.map((t) => t.rate)).size).toBe(r.trials.length); // no rate twice
        },
      ),
    );
  });

  it("only ever reports a rate whose own trial held, even when outcomes are noisy (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.func(fc.boolean()), async (holds) => {
        const r = await findMaxRate(bounds({ maxRate: 1_000_000 }), async (rate) => ({
          rate,
          sustained: holds(rate),
          reason: null,
        }));
        if (r.maxRate !== null) expect(r.trials.find((t) => t.rate === r.maxRate)?.sustained).toBe(true);
        if (r.firstFailing !== null) expect(r.firstFailing.sustained).toBe(false);
      }),
    );
  });
});
