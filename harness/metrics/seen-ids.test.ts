import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeenIds } from "./seen-ids.js";

describe("SeenIds", () => {
  it("counts each (process, sequence) once, whatever the order and the repeats", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 200_000 })), {
          maxLength: 500,
        }),
        (ids) => {
          const seen = new SeenIds();
          const oracle = new Set<string>();
          for (const [p, s] of ids) {
            const fresh = !oracle.has(`${p}-${s}`);
            oracle.add(`${p}-${s}`);
            expect(seen.add(p, s)).toBe(fresh);
          }
          expect(seen.size).toBe(oracle.size);
        },
      ),
    );
  });
});
