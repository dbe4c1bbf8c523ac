import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Properties, parsePredicate, predicateMatches } from "../core/predicates.js";
import { predicateArb, propertiesArb } from "../core/test/predicate-arbitraries.js";
import { jmsSelector } from "./predicates.js";

/**
 * A model of how ActiveMQ Artemis evaluates a JMS selector (artemis-selector 2.40:
 * ComparisonExpression, LogicExpression, UnaryExpression): a property missing makes a comparison
 * NULL; values of different types (String against a number) compare FALSE; Long against Double
 * compares as double; AND/OR/NOT are three-valued; a message matches when the selector is TRUE.
 * Parses the selector text itself, so that the translation's printing and quoting are checked too.
 */
function artemisSelectorMatches(selector: string, props: Properties): boolean {
  const tokens =
    selector.match(/'(?:[^']|'')*'|-?\d+(?:\.\d+)?|<>|<=|>=|[<>=()]|[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  let p = 0;
  type V = boolean | null;
  const word = (w: string) => tokens[p]?.toUpperCase() === w;
  const or = (): V => {
    let v = and();
    while (word("OR")) {
      p++;
      const r = and();
      v = v === true || r === true ? true : v === null || r === null ? null : false;
    }
    return v;
  };
  const and = (): V => {
    let v = not();
    while (word("AND")) {
      p++;
      const r = not();
      v = v === false || r === false ? false : v === null || r === null ? null : true;
    }
    return v;
  };
  // The selector grammar's NOT is a unary operator on a primary (it binds tighter than a
  // comparison): `NOT a = 1` is `(NOT a) = 1`, which Artemis rejects or misreads. The model accepts
  // NOT before a parenthesized condition only.
  const not = (): V => {
    if (word("NOT")) {
      p++;
      if (tokens[p] !== "(" && !word("NOT")) throw new Error(`NOT applied to a non-boolean in ${selector}`);
      const v = not();
      return v === null ? null : !v;
    }
    if (tokens[p] === "(") {
      p++;
      const v = or();
      if (tokens[p++] !== ")") throw new Error(`expected ) in ${selector}`);
      return v;
    }
    const name = tokens[p++]!;
    const op = tokens[p++]!;
    const lit = tokens[p++]!;
    // Java values: a literal with a decimal point is a Double, else a Long; 'x' a String.
    const right: { t: "S" | "L" | "D"; v: string | number } = lit.startsWith("'")
      ? { t: "S", v: lit.slice(1, -1).replaceAll("''", "'") }
      : { t: lit.includes(".") ? "D" : "L", v: Number(lit) };
    if (!Object.hasOwn(props, name)) return null;
    const raw = props[name]!;
    const left =
      typeof raw === "string" ? { t: "S", v: raw } : { t: Number.isInteger(raw) ? "L" : "D", v: raw };
    if ((left.t === "S") !== (right.t === "S")) return op === "<>"; // <> is NOT (=)
    const a = left.v as number | string;
    const b = right.v;
    switch (op) {
      case "=":
        return a === b;
      case "<>":
        return a !== b;
      case "<":
        return a < b;
      case "<=":
        return a <= b;
      case ">":
        return a > b;
      case ">=":
        return a >= b;
    }
    throw new Error(`operator ${op} in ${selector}`);
  };
  const v = or();
  if (p !== tokens.length) throw new Error(`trailing tokens in ${selector}`);
  return v === true;
}

describe("predicate translations", () => {
  it("JMS selectors (Artemis) match exactly what the neutral predicate matches", () => {
    fc.assert(
      fc.property(predicateArb, propertiesArb, (p, props) => {
        expect(artemisSelectorMatches(jmsSelector(p), props)).toBe(predicateMatches(p, props));
      }),
      { numRuns: 5000 },
    );
    expect(jmsSelector(parsePredicate("region = 'it''s' and not (priority > 3 or tier <> 2.5)"))).toBe(
      "region = 'it''s' AND NOT (priority > 3 OR tier <> 2.5)",
    );
    expect(jmsSelector(parsePredicate("NOT NOT region >= 2.5 OR NOT tier <= 1"))).toBe(
      "NOT (NOT (region >= 2.5)) OR NOT (tier <= 1)",
    );
  });
});
