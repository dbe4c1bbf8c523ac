import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseWorkloadText } from "../workload/index.js";
import { distributedRefusal, PROCESS_STRIDE, planSegments } from "./segments.js";

const workload = (yaml: string) => parseWorkloadText(yaml, "w.yaml")[0]!.workload;

describe("planSegments", () => {
  it("deals every producer and consumer slot to exactly one worker, shares within one of each other", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 8 }),
        (topics, producersPerTopic, groups, consumersPerGroup, workers) => {
          const w = workload(
            `topics: ${topics}\nproducersPerTopic: ${producersPerTopic}\ngroups: ${groups}\nconsumersPerGroup: ${consumersPerGroup}\n`,
          );
          const segments = planSegments(w, workers, "abc123");
          expect(segments).toHaveLength(workers);
          const producers = segments.flatMap((s) => s.producers).sort((a, b) => a - b);
          const slots = segments.flatMap((s) => s.consumerSlots).sort((a, b) => a - b);
          expect(producers).toEqual([...Array(topics * producersPerTopic).keys()]);
          expect(slots).toEqual([...Array(groups * consumersPerGroup).keys()]);
          const sizes = segments.map((s) => s.producers.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          // Process ranges never overlap: worker k's ids are in (k·STRIDE, (k+1)·STRIDE].
          expect(segments.map((s) => s.processBase)).toEqual(segments.map((_, k) => k * PROCESS_STRIDE));
          expect(new Set(segments.map((s) => s.nonce))).toEqual(new Set(["abc123"]));
        },
      ),
    );
  });
});

describe("distributedRefusal", () => {
  it("accepts a plain messaging workload with a producer for every worker", () => {
    expect(distributedRefusal(workload("producersPerTopic: 2\n"), 2)).toBeNull();
  });

  it("refuses fewer producers than workers, naming what to raise", () => {
    expect(distributedRefusal(workload("producersPerTopic: 1\n"), 3)).toBe(
      "1 producer(s) for 3 workers: each worker needs at least one (raise producersPerTopic or topics)",
    );
  });

  it("refuses what needs one process's view of the run", () => {
    expect(
      distributedRefusal(workload("lateGroup: { joinAtS: 1, start: latest }\nproducersPerTopic: 2\n"), 2),
    ).toMatch(/a late group runs in one process only/);
    expect(distributedRefusal(workload("server: spawn\nproducersPerTopic: 2\n"), 2)).toMatch(/server: spawn/);
  });
});
