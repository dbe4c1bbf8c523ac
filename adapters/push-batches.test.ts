import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PushBatches } from "./push-batches.js";

const turn = () => new Promise<void>((r) => setImmediate(r));

describe("PushBatches", () => {
  it("hands over everything in arrival order, at most maxBatch at a time, one call at a time", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (maxBatch, bursts, coalesce) => {
          const b = new PushBatches<number>(maxBatch, { coalesce });
          const seen: number[] = [];
          let inCall = 0;
          let overlapped = false;
          b.start(async (batch) => {
            if (inCall++ > 0) overlapped = true;
            expect(batch.length).toBeGreaterThan(0);
            expect(batch.length).toBeLessThanOrEqual(maxBatch);
            await turn();
            seen.push(...batch);
            inCall--;
          });
          let next = 0;
          for (const n of bursts) {
            for (let i = 0; i < n; i++) b.push(next++);
            await turn();
          }
          while (seen.length < next) await turn();
          expect(overlapped).toBe(false);
          expect(seen).toEqual([...Array(next).keys()]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("coalesces the pushes of one tick into one batch", async () => {
    const b = new PushBatches<number>(100, { coalesce: true });
    const batches: number[][] = [];
    b.start((batch) => {
      batches.push([...batch]);
    });
    for (let i = 0; i < 5; i++) b.push(i);
    await turn();
    await turn();
    expect(batches).toEqual([[0, 1, 2, 3, 4]]);
  });

  it("holds what arrives before start, and hands nothing over after stop", async () => {
    const b = new PushBatches<number>(10, { coalesce: false });
    b.push(1);
    const batches: number[][] = [];
    let release = () => {};
    b.start(async (batch) => {
      batches.push([...batch]);
      await new Promise<void>((r) => {
        release = r;
      });
    });
    b.push(2);
    b.push(3);
    expect(b.size).toBe(2);
    b.stop();
    b.push(4);
    release();
    await turn();
    expect(batches).toEqual([[1]]);
    expect(b.size).toBe(0);
  });

  it("reports how many wait after each batch", async () => {
    const waiting: number[] = [];
    const b = new PushBatches<number>(2, { coalesce: true, afterBatch: (n) => waiting.push(n) });
    b.start(() => {});
    for (let i = 0; i < 5; i++) b.push(i);
    while (waiting.length < 3) await turn();
    expect(waiting).toEqual([3, 1, 0]);
  });
});
