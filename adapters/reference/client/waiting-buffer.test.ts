import { describe, expect, it } from "vitest";
import { WaitingBuffer } from "./waiting-buffer.js";

describe("WaitingBuffer", () => {
  it("hands out what is buffered at once, at most max, in order", async () => {
    const b = new WaitingBuffer<number>();
    b.push([1, 2, 3]);
    expect(await b.take(2, 10_000)).toEqual([1, 2]);
    expect(await b.take(5, 10_000)).toEqual([3]);
  });

  it("waits for the first push, and wakes as soon as it comes", async () => {
    const b = new WaitingBuffer<number>();
    const started = performance.now();
    setTimeout(() => b.push([7]), 20);
    expect(await b.take(5, 10_000)).toEqual([7]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("returns nothing after waitMs when nothing came", async () => {
    const b = new WaitingBuffer<number>();
    expect(await b.take(5, 30)).toEqual([]);
    expect(await b.take(5, 0)).toEqual([]);
  });
});
