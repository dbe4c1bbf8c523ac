/** fast-check arbitraries of predicates and property sets, shared by the predicate tests. */
import fc from "fast-check";
import type { Predicate, Properties } from "../predicates.js";

const names = ["region", "priority", "tier"] as const;
const stringValue = fc.constantFrom("eu", "us", "it's", "", "EU");
const numberValue = fc.oneof(fc.integer({ min: -3, max: 9 }), fc.constantFrom(2.5, -0.5, 1e-7));
const literal = fc.oneof(stringValue, numberValue);

/** Random predicates over a few names, so that they often touch the random properties. */
export const predicateArb: fc.Arbitrary<Predicate> = fc.letrec<{ p: Predicate }>((tie) => ({
  p: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc
      .tuple(fc.constantFrom(...names), literal, fc.constantFrom("=", "<>", "<", "<=", ">", ">=" as const))
      .map(([name, value, op]) => ({
        kind: "cmp" as const,
        name,
        op: typeof value === "string" ? (op === "=" || op === "<>" ? op : "=") : op,
        value,
      })),
    tie("p").map((term) => ({ kind: "not" as const, term })),
    fc.array(tie("p"), { minLength: 2, maxLength: 3 }).map((terms) => ({ kind: "and" as const, terms })),
    fc.array(tie("p"), { minLength: 2, maxLength: 3 }).map((terms) => ({ kind: "or" as const, terms })),
  ),
})).p;

export const propertiesArb: fc.Arbitrary<Properties> = fc.record(
  { region: fc.oneof(stringValue, numberValue), priority: fc.oneof(numberValue, stringValue), tier: literal },
  { requiredKeys: [] },
);
