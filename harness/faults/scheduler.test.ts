import { describe, expect, it } from "vitest";
import { wallMs } from "../../core/clock.js";
import type { FaultSpec } from "../workload/index.js";
import { FaultScheduler } from "./scheduler.js";

const fault = (at: number, duration: number, target = "consumer:0"): FaultSpec => ({
  at,
  duration,
  kind: "consumer-stall",
  target,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("fault scheduler", () => {
  it("starts and ends each fault on time, logs both phases, reports seconds since the start", async () => {
    const events: string[] = [];
    const s = new FaultScheduler(
      [fault(0.05, 0.1, "a"), fault(0.1, 0.08, "b")],
      {
        start: async (f) => void events.push(`start ${f.target}`),
        end: async (f) => void events.push(`end ${f.target}`),
      },
      (f, phase) => events.push(`log ${phase} ${f.target}`),
      (_f, err) => {
        throw err;
      },
    );
    const t0 = wallMs();
    s.arm(t0);
    await sleep(250);
    await s.stop();
    expect(events).toEqual([
      "log start a",
      "start a",
      "log start b",
      "start b",
      "end a",
      "log end a",
      "end b",
      "log end b",
    ]);
    const [a, b] = s.records();
    expect(a!.startS).toBeGreaterThanOrEqual(0.045); // timers may fire a millisecond early
    expect(a!.startS).toBeLessThan(0.1);
    expect(a!.endS - a!.startS).toBeGreaterThanOrEqual(0.095);
    expect(b!.startS).toBeGreaterThanOrEqual(0.095);
  });

  it("stop ends active faults now and never starts pending ones; a failed action is reported", async () => {
    const events: string[] = [];
    const errors: string[] = [];
    const s = new FaultScheduler(
      [fault(0, 10, "long"), fault(5, 1, "later"), fault(0, 10, "broken")],
      {
        start: async (f) => {
          if (f.target === "broken") throw new Error("no such client");
          events.push(`start ${f.target}`);
        },
        end: async (f) => void events.push(`end ${f.target}`),
      },
      () => {},
      (f, err) => errors.push(`${f.target}: ${(err as Error).message}`),
    );
    s.arm(wallMs());
    await sleep(30);
    await s.stop();
    expect(events).toEqual(["start long", "end long", "end broken"]);
    expect(errors).toEqual(["broken: no such client"]);
    expect(s.records().map((r) => r.target)).toEqual(["long", "broken"]);
    expect(s.records()[0]!.endS).toBeLessThan(1);
  });

  it("a fault falling due while a colliding one is active or settling waits for it, or is skipped", async () => {
    const events: string[] = [];
    const s = new FaultScheduler(
      [
        { at: 0, duration: 0.2, kind: "broker-crash", target: "broker" },
        { at: 0.05, duration: 0.05, kind: "broker-crash", target: "broker" },
        { at: 0.06, duration: 0.05, kind: "broker-crash", target: "broker", onConflict: "skip" },
        // Holds nothing the crashes hold: starts on time.
        { at: 0.05, duration: 0.02, kind: "consumer-stall", target: "consumer:0" },
      ],
      {
        start: async (f) => void events.push(`start ${f.kind} ${f.at}`),
        end: async (f) => void events.push(`end ${f.kind} ${f.at}`),
        holds: (f) => (f.kind === "broker-crash" ? [{ resource: "broker", exclusive: true }] : []),
        // The first crash takes 100 ms to be served again after it ends.
        settle: (f) => {
          if (f.kind !== "broker-crash" || f.at !== 0) return undefined;
          const healedMs = wallMs();
          return sleep(100).then(() => ({ healedMs, servedMs: wallMs() }));
        },
      },
      () => {},
      (_f, err) => {
        throw err;
      },
    );
    const t0 = wallMs();
    s.arm(t0, t0 + 1000);
    await sleep(600);
    await s.stop();
    expect(events).toEqual([
      "start broker-crash 0",
      "start consumer-stall 0.05",
      "end consumer-stall 0.05",
      "end broker-crash 0",
      "start broker-crash 0.05",
      "end broker-crash 0.05",
    ]);
    const [first, second, stall] = s.records();
    expect(first!.recoveryS).toBeGreaterThanOrEqual(0.095);
    expect(first!.delayedS).toBeUndefined();
    // It waited for the first crash to end (0.2 s) and settle (+0.1 s).
    expect(second!.startS).toBeGreaterThanOrEqual(0.29);
    expect(second!.delayedS).toBeGreaterThanOrEqual(0.24);
    expect(stall!.kind).toBe("consumer-stall");
    expect(s.skipped()).toEqual([
      {
        kind: "broker-crash",
        target: "broker",
        atS: 0.06,
        reason: "broker-crash on broker (due at 0 s) was still active",
      },
    ]);
  });

  it("a waiting fault that could no longer end before producing ends is skipped, never run late", async () => {
    const s = new FaultScheduler(
      [
        { at: 0, duration: 0.15, kind: "broker-crash", target: "broker" },
        { at: 0.05, duration: 0.1, kind: "broker-crash", target: "broker" },
      ],
      {
        start: async () => {},
        end: async () => {},
        holds: () => [{ resource: "broker", exclusive: true }],
      },
      () => {},
      (_f, err) => {
        throw err;
      },
    );
    const t0 = wallMs();
    s.arm(t0, t0 + 200);
    await sleep(300);
    await s.stop();
    expect(s.records()).toHaveLength(1);
    expect(s.skipped()).toMatchObject([
      { atS: 0.05, reason: "after waiting for a colliding fault it would end after producing ends" },
    ]);
  });
});

describe("fault scheduler: holding", () => {
  it("is true from a fault's start until it has ended, and false before and after", async () => {
    const s = new FaultScheduler(
      [fault(0.05, 0.1)],
      { start: async () => {}, end: async () => {} },
      () => {},
      (_f, err) => {
        throw err;
      },
    );
    const seen: boolean[] = [s.holding()];
    s.arm(wallMs());
    await sleep(100);
    seen.push(s.holding());
    await sleep(150);
    seen.push(s.holding());
    await s.stop();
    expect(seen).toEqual([false, true, false]);
  });
});
