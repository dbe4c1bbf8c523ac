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
});
