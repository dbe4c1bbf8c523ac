/**
 * Property-based: a correct pipeline's history (simulated, crashes included) is always valid under
 * exactly-once, and each mutation is always caught as its own anomaly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ComputationAnomaly, type ComputationVerdict, checkComputation } from "../computation.js";
import {
  doubleAnInput,
  dropLastOutput,
  readAnAbortedOutput,
  reorderAKey,
  skipAnInput,
} from "./pipeline-mutations.js";
import { type PipelineSimParams, type Rec, SIM_PIPELINE, simulatePipeline } from "./pipeline-sim.js";

const params: fc.Arbitrary<PipelineSimParams> = fc.record({
  seed: fc.integer(),
  keys: fc.integer({ min: 1, max: 6 }),
  partitions: fc.integer({ min: 1, max: 3 }),
  events: fc.integer({ min: 2, max: 80 }),
  crashRate: fc.constantFrom(0, 0.2),
});

const check = (recs: readonly Rec[]): ComputationVerdict => {
  const v = checkComputation(recs.map((r) => JSON.stringify(r)));
  if (v === null) throw new Error("not a pipeline history");
  return v;
};
const found = (v: ComputationVerdict) =>
  Object.entries(v.counts)
    .filter(([, n]) => n > 0)
    .map(([a]) => a as ComputationAnomaly);

describe("a correct pipeline's histories", () => {
  it("are valid, with nothing double-counted or missed after the drain", () => {
    fc.assert(
      fc.property(params, (p) => {
        const v = check(simulatePipeline(p));
        expect(found(v)).toEqual([]);
        expect(v.valid).toBe(true);
        expect(v.drained).toBe(true);
        expect(v.inputs).toBe(p.events);
        expect([v.excessEvents, v.missingEvents]).toEqual([0, 0]);
      }),
      { numRuns: 150 },
    );
  });
});

describe("each mutation is caught as its anomaly", () => {
  const cases: [string, typeof doubleAnInput, ComputationAnomaly][] = [
    ["an input counted twice", doubleAnInput, "double-counted"],
    ["an input skipped", skipAnInput, "missed"],
    ["a key's last output dropped", dropLastOutput, "missed"],
    ["two updates of a key reordered", reorderAKey, "regressed"],
    ["an aborted output read", readAnAbortedOutput, "aborted-read"],
  ];
  for (const [name, mutate, anomaly] of cases) {
    it(name, () => {
      fc.assert(
        fc.property(params, fc.nat(), (p, pick) => {
          const mutated = mutate(simulatePipeline(p), SIM_PIPELINE, pick);
          fc.pre(mutated !== null);
          const v = check(mutated!);
          expect(v.counts[anomaly]).toBeGreaterThan(0);
          expect(v.valid).toBe(false);
          expect(v.witnesses[anomaly][0]!.lines.length).toBeGreaterThan(0);
        }),
        { numRuns: 100 },
      );
    });
  }

  it("the modes forbid what they promise against: at-least-once allows double counts, not misses", () => {
    const recs = simulatePipeline({ seed: 7, keys: 2, partitions: 1, events: 30, crashRate: 0 });
    const doubled = doubleAnInput(recs, SIM_PIPELINE, 3)!.map((r) => JSON.stringify(r));
    const v = checkComputation(doubled, "at-least-once")!;
    expect(v.counts["double-counted"]).toBeGreaterThan(0);
    expect(v.valid).toBe(true);
    const skipped = skipAnInput(recs, SIM_PIPELINE, 3)!.map((r) => JSON.stringify(r));
    expect(checkComputation(skipped, "at-least-once")!.valid).toBe(false);
    expect(checkComputation(skipped, "at-most-once")!.valid).toBe(true);
  });

  it("a history without a pipeline is not judged", () => {
    expect(checkComputation(['{"type":"ok","f":"meta","value":{"format":1,"model":"log"}}'])).toBeNull();
  });
});
