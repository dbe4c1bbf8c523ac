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
        fc.constantFrom("read" as const, "turn" as const, "none" as const),
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
          await b.settled();
          expect(overlapped).toBe(false);
          expect(seen).toEqual([...Array(next).keys()]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("coalesces the pushes of one tick into one batch", async () => {
    const b = new PushBatches<number>(100, { coalesce: "turn" });
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
    const b = new PushBatches<number>(10, { coalesce: "none" });
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
    const b = new PushBatches<number>(2, { coalesce: "turn", afterBatch: (n) => waiting.push(n) });
    b.start(() => {});
    for (let i = 0; i < 5; i++) b.push(i);
    while (waiting.length < 3) await turn();
    expect(waiting).toEqual([3, 1, 0]);
  });

  it("read: one socket read's messages (pushed synchronously) go out as one batch, what came before start included", async () => {
    const b = new PushBatches<number>(100, { coalesce: "read" });
    b.push(1);
    b.push(2);
    const batches: number[][] = [];
    b.start((batch) => {
      batches.push([...batch]);
    });
    await turn();
    b.push(3);
    b.push(4);
    b.push(5);
    await turn();
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it("a throwing handler stops delivery, its error is kept, and settled() resolves", async () => {
    for (const coalesce of ["read", "turn", "none"] as const) {
      const b = new PushBatches<number>(100, { coalesce });
      const seen: number[] = [];
      b.start((batch) => {
        seen.push(...batch);
        if (batch.includes(2)) throw new Error("handler failed");
      });
      b.push(1);
      await turn();
      b.push(2);
      await turn();
      b.push(3);
      await turn();
      await b.settled();
      expect(seen).toEqual([1, 2]);
      expect((b.error as Error).message).toBe("handler failed");
      expect(b.size).toBe(0);
    }
  });

  it("settled() waits for the batch being handed over", async () => {
    const b = new PushBatches<number>(100, { coalesce: "none" });
    let release = () => {};
    let finished = false;
    b.start(async () => {
      await new Promise<void>((r) => {
        release = r;
      });
      finished = true;
    });
    b.push(1);
    const settled = b.settled().then(() => finished);
    await turn();
    release();
    expect(await settled).toBe(true);
  });
});
