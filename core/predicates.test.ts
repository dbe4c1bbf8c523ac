import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  evaluatePredicate,
  formatLiteral,
  formatPredicate,
  type Predicate,
  type Properties,
  parsePredicate,
  predicateMatches,
  predicateNames,
} from "./predicates.js";
import { predicateArb, propertiesArb } from "./test/predicate-arbitraries.js";

describe("neutral predicates", () => {
  it("formatting parses back to the same tree, for every predicate", () => {
    fc.assert(
      fc.property(predicateArb, (p) => {
        expect(parsePredicate(formatPredicate(p))).toEqual(p);
      }),
      { numRuns: 2000 },
    );
  });

  it("three-valued logic: NOT NOT p is p, De Morgan, and a match is TRUE only", () => {
    fc.assert(
      fc.property(predicateArb, predicateArb, propertiesArb, (p, q, props) => {
        const not = (x: Predicate): Predicate => ({ kind: "not", term: x });
        expect(evaluatePredicate(not(not(p)), props)).toBe(evaluatePredicate(p, props));
        expect(evaluatePredicate(not({ kind: "and", terms: [p, q] }), props)).toBe(
          evaluatePredicate({ kind: "or", terms: [not(p), not(q)] }, props),
        );
        expect(predicateMatches(p, props)).toBe(evaluatePredicate(p, props) === true);
      }),
      { numRuns: 2000 },
    );
  });

  it("evaluates as JMS selectors do: missing is UNKNOWN, string against number FALSE", () => {
    const t = (text: string, props: Properties) => evaluatePredicate(parsePredicate(text), props);
    expect(t("region = 'eu' AND priority > 3", { region: "eu", priority: 5 })).toBe(true);
    expect(t("region = 'eu' AND priority > 3", { region: "eu", priority: 3 })).toBe(false);
    expect(t("region = 'eu' AND priority > 3", { region: "eu" })).toBe(null);
    expect(t("NOT region = 'eu'", {})).toBe(null);
    expect(t("NOT region = 'eu'", { region: "us" })).toBe(true);
    expect(t("priority = '5'", { priority: 5 })).toBe(false);
    expect(t("NOT priority = '5'", { priority: 5 })).toBe(true);
    expect(t("priority <> '5'", { priority: 5 })).toBe(true);
    expect(t("region > 3", { region: "eu" })).toBe(false);
    expect(t("NOT region > 3", { region: "eu" })).toBe(true);
    expect(t("priority > 3 OR region = 'eu'", { region: "eu" })).toBe(true);
    expect(t("priority > 3 OR region = 'eu'", { region: "us" })).toBe(null);
    expect(t("priority = 2.0", { priority: 2 })).toBe(true);
    expect(t("region = 'it''s'", { region: "it's" })).toBe(true);
    expect(t("not (Region = 'a' or region <> 'b')", { region: "b", Region: "c" })).toBe(true);
  });

  it("refuses malformed predicates, naming where and why", () => {
    const bad = (text: string) => () => parsePredicate(text, "workload w.yaml: predicates.subscribe[0]");
    expect(bad("region > 'eu'")).toThrow(/predicates\.subscribe\[0\].*strings compare with = and <> only/);
    expect(bad("region = ")).toThrow(/at 10: expected a 'string' or a number/);
    expect(bad("region = 'eu")).toThrow(/unterminated string/);
    expect(bad("(region = 'eu'")).toThrow(/expected \)/);
    expect(bad("JMSPriority > 3")).toThrow(/header names/);
    expect(bad("in = 3")).toThrow(/keyword/);
    expect(bad("a = 1 b = 2")).toThrow(/unexpected "b"/);
    expect(bad("a = 1e5")).toThrow(/malformed number/);
    expect(bad("a = 99999999999999999")).toThrow(/out of range/);
    expect(bad("")).toThrow(/a comparison is missing/);
  });

  it("formats literals without exponents and lists the names a predicate reads", () => {
    expect(formatLiteral(1e-7)).toBe("0.0000001");
    expect(formatLiteral(-3)).toBe("-3");
    expect(formatLiteral("a'b")).toBe("'a''b'");
    expect([...predicateNames(parsePredicate("a = 1 AND NOT (b = 'x' OR a < 2)"))].sort()).toEqual([
      "a",
      "b",
    ]);
  });
});
