import { describe, expect, it } from "vitest";
import { PauseMonitor } from "./process-pauses.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Blocks this thread for `ms`, as a long synchronous handler or a GC pause would. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

describe("PauseMonitor", () => {
  it("sees the event loop blocked and the garbage collections within its window", async () => {
    const monitor = new PauseMonitor();
    monitor.beginAfter(0);
    await sleep(20);
    block(60);
    // Short-lived garbage (held in an array, so no escape analysis removes it): young-generation
    // collections, seen by the gc observer.
    const junk: { i: number }[] = [];
    let keep = 0;
    for (let i = 0; i < 2_000_000; i++) {
      junk.push({ i });
      if (junk.length === 1000) {
        keep += junk[999]!.i & 1;
        junk.length = 0;
      }
    }
    await sleep(50);
    const p = monitor.end();
    expect(keep).toBeGreaterThan(0);
    expect(p).not.toBeNull();
    expect(p!.eventLoopDelayMs.max).toBeGreaterThanOrEqual(50);
    expect(p!.eventLoopDelayMs.p50).toBeLessThan(p!.eventLoopDelayMs.max);
    expect(p!.gc.count).toBeGreaterThan(0);
    expect(p!.gc.maxMs).toBeGreaterThan(0);
    expect(p!.gc.totalMs).toBeGreaterThanOrEqual(p!.gc.maxMs);
  });

  it("leaves out what happens before its window opens, and reports nothing for a window never opened", async () => {
    const late = new PauseMonitor();
    late.beginAfter(150);
    block(80); // within the warmup: not counted
    await sleep(200);
    const p = late.end();
    expect(p).not.toBeNull();
    expect(p!.eventLoopDelayMs.max).toBeLessThan(60);

    const never = new PauseMonitor();
    never.beginAfter(10_000);
    expect(never.end()).toBeNull();
  });
});
