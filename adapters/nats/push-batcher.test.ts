import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PushBatcher } from "./push-batcher.js";

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("PushBatcher", () => {
  it("holds what arrives before start, then hands one read's messages over as one batch", async () => {
    const b = new PushBatcher<number>();
    b.push(1);
    b.push(2);
    const batches: number[][] = [];
    b.start((batch) => {
      batches.push([...batch]);
    });
    await tick();
    b.push(3);
    b.push(4);
    b.push(5);
    await tick();
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it("never calls onBatch concurrently, and loses and reorders nothing, whatever the arrival pattern", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
        async (reads) => {
          const b = new PushBatcher<number>(7);
          const seen: number[] = [];
          let active = 0;
          let overlapped = false;
          b.start(async (batch) => {
            active++;
            if (active > 1) overlapped = true;
            expect(batch.length).toBeLessThanOrEqual(7);
            seen.push(...batch);
            await tick();
            active--;
          });
          let n = 0;
          for (const size of reads) {
            for (let i = 0; i < size; i++) b.push(n++);
            await Promise.resolve();
          }
          while (seen.length < n) await tick();
          await b.settled();
          expect(overlapped).toBe(false);
          expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
        },
      ),
      { numRuns: 30 },
    );
  });

  it("stop drops what was not handed over; a throwing handler stops delivery and is reported", async () => {
    const b = new PushBatcher<number>();
    const seen: number[] = [];
    b.start((batch) => {
      seen.push(...batch);
      if (batch.includes(2)) throw new Error("handler failed");
    });
    b.push(1);
    await tick();
    b.push(2);
    await tick();
    b.push(3);
    await tick();
    expect(seen).toEqual([1, 2]);
    expect((b.error as Error).message).toBe("handler failed");
  });
});
