import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ReportRun } from "./figures.js";
import { chooseLayout, MAX_SERIES } from "./layout.js";
import { runResult } from "./synthetic.js";

const ADAPTERS = [
  "reference",
  "nats",
  "rabbitmq",
  "jetstream",
  "mqtt",
  "kafka",
  "artemis",
  "pubsub",
  "redis-pubsub",
  "redis-streams",
];
const FAULTS = ["consumer-crash", "ack-loss", "broker-crash"] as const;

const BASE = runResult({ runId: "base", seed: 1, durationS: 3 });

/** One run per point of adapters × modes × faults (a fault per point, as delivery-modes has). */
function suite(adapters: number, modes: number, faults: number, sets = 1): ReportRun[] {
  const out: ReportRun[] = [];
  let seed = 1;
  for (let s = 0; s < sets; s++) {
    for (const adapter of ADAPTERS.slice(0, adapters)) {
      for (const mode of ["at-most-once", "at-least-once", "exactly-once", "none"].slice(0, modes)) {
        for (const fault of FAULTS.slice(0, faults)) {
          // Layout reads names, matrix and faults only: one measured run, relabelled.
          const result = {
            ...BASE,
            runId: `dm-${mode}-${fault}-${adapter}`,
            adapter: { ...BASE.adapter, name: adapter },
            workload: { ...BASE.workload, matrix: { deliveryMode: mode, fault } },
            faults: [{ kind: fault, target: "x", startS: 3, endS: 5 + (seed++ % 3) }],
          };
          out.push({ set: `set${s}`, result });
        }
      }
    }
  }
  return out;
}

describe("chooseLayout", () => {
  it("delivery-modes × 7 adapters: a panel per adapter and fault, the modes as its series", () => {
    const layout = chooseLayout(suite(7, 3, 3));
    expect(layout.panelDims).toEqual(["adapter", "fault"]);
    expect(layout.seriesDims).toEqual(["deliveryMode"]);
    expect(layout.series).toEqual(["at-most-once", "at-least-once", "exactly-once"]);
    expect(layout.panels.slice(0, 4)).toEqual([
      "reference · consumer-crash",
      "reference · ack-loss",
      "reference · broker-crash",
      "nats · consumer-crash",
    ]);
  });

  it("comparing two sets: old and new side by side in each panel", () => {
    const layout = chooseLayout(suite(2, 2, 1, 2));
    expect(layout.seriesDims).toEqual(["set"]);
    expect(layout.series).toEqual(["set0", "set1"]);
    expect(layout.panels).toHaveLength(4);
  });

  it("sorts runs by panel, then series", () => {
    const runs = suite(2, 2, 1);
    const layout = chooseLayout(runs);
    const sorted = layout.sort([...runs].reverse());
    expect(sorted.map((r) => [r.result.adapter.name, r.result.workload.matrix.deliveryMode])).toEqual([
      ["reference", "at-most-once"],
      ["reference", "at-least-once"],
      ["nats", "at-most-once"],
      ["nats", "at-least-once"],
    ]);
  });

  it("for every suite: at most MAX_SERIES runs a panel, one fault set a panel, every run told apart", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        (adapters, modes, faults, sets) => {
          const runs = suite(adapters, modes, faults, sets);
          const layout = chooseLayout(runs);
          const panels = new Map<string, ReportRun[]>();
          for (const r of runs) panels.set(layout.panelOf(r), [...(panels.get(layout.panelOf(r)) ?? []), r]);
          expect([...panels.keys()].sort()).toEqual([...layout.panels].sort());
          for (const members of panels.values()) {
            expect(members.length).toBeLessThanOrEqual(MAX_SERIES);
            expect(new Set(members.map((m) => m.result.faults.map((f) => f.kind).join()))).toHaveProperty(
              "size",
              1,
            );
            expect(new Set(members.map(layout.seriesOf)).size).toBe(members.length);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
