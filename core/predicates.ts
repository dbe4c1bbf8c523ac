/**
 * Predicates over message properties: the neutral syntax of workload `predicates`, of
 * `ConsumerOptions.predicate`, and of the history's meta `predicates`. The workload, the adapters
 * (which translate a predicate exactly into their broker's filter, adapters/predicates.ts) and the
 * checkers (which compute each group's intended match set from the recorded properties) all read
 * it, so it lives here.
 *
 * Syntax (a small subset of JMS message selectors, SQL-92 style; keywords in any case):
 *
 *   predicate  := or
 *   or         := and ( "OR" and )*
 *   and        := unary ( "AND" unary )*
 *   unary      := "NOT" unary | "(" or ")" | comparison
 *   comparison := name op literal
 *   op         := "=" | "<>" | "<" | "<=" | ">" | ">="      (strings: "=" and "<>" only)
 *   literal    := 'text' ('' is a quote) | -?digits[.digits]
 *   name       := [A-Za-z_][A-Za-z0-9_]*, not a keyword (AND OR NOT, and JMS's TRUE FALSE NULL IS
 *                 IN LIKE BETWEEN ESCAPE), not starting with JMS or AMQ (header names there)
 *
 * Semantics (JMS's, as ActiveMQ Artemis evaluates them): a property is a string or a number. A
 * comparison with a property the message lacks is UNKNOWN; between a string and a number it is
 * FALSE, except `<>`, which is NOT `=` and so TRUE; numbers compare by value. NOT, AND and OR are
 * Kleene's three-valued logic (NOT UNKNOWN is UNKNOWN; FALSE AND UNKNOWN is FALSE; TRUE OR UNKNOWN
 * is TRUE). A message matches when the predicate is TRUE.
 */
import { UsageError } from "./errors.js";

export type PropertyValue = string | number;
export type Properties = Readonly<Record<string, PropertyValue>>;

export const COMPARISON_OPS = ["=", "<>", "<", "<=", ">", ">="] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export type Predicate =
  | { readonly kind: "cmp"; readonly name: string; readonly op: ComparisonOp; readonly value: PropertyValue }
  | { readonly kind: "not"; readonly term: Predicate }
  | { readonly kind: "and"; readonly terms: readonly Predicate[] }
  | { readonly kind: "or"; readonly terms: readonly Predicate[] };

/** TRUE, FALSE or UNKNOWN (null). */
export type Truth = boolean | null;

const KEYWORDS = new Set([
  "AND",
  "OR",
  "NOT",
  "TRUE",
  "FALSE",
  "NULL",
  "IS",
  "IN",
  "LIKE",
  "BETWEEN",
  "ESCAPE",
]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot be a property name of the neutral syntax, or null. */
export function propertyNameProblem(name: string): string | null {
  if (!NAME.test(name)) return "a name is a letter or _ followed by letters, digits or _";
  if (KEYWORDS.has(name.toUpperCase())) return `${name} is a keyword`;
  if (/^(jms|amq)/i.test(name)) return "names starting with JMS or AMQ are header names in JMS selectors";
  return null;
}

/** Why `value` cannot be a property value, or null: finite numbers within ±2^53 or strings. */
export function propertyValueProblem(value: unknown): string | null {
  if (typeof value === "string") return null;
  if (typeof value === "number") {
    return Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER
      ? null
      : "a number must be finite and within ±2^53";
  }
  return "a property value is a string or a number";
}

interface Token {
  readonly kind: "name" | "string" | "number" | "op" | "(" | ")" | "end";
  readonly text: string;
  readonly at: number;
}

function tokenize(src: string, fail: (at: number, why: string) => never): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "(" || c === ")") {
      out.push({ kind: c, text: c, at: i++ });
    } else if (c === "'") {
      const at = i++;
      let text = "";
      for (;;) {
        if (i >= src.length) fail(at, "unterminated string (a quote inside is written '')");
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += src[i++];
      }
      out.push({ kind: "string", text, at });
    } else if (c === "<" || c === ">" || c === "=") {
      const two = src.slice(i, i + 2);
      const op = two === "<>" || two === "<=" || two === ">=" ? two : c;
      out.push({ kind: "op", text: op, at: i });
      i += op.length;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      const m = /^-?\d+(?:\.\d+)?/.exec(src.slice(i));
      if (m === null) fail(i, "a number is digits, with an optional - and .digits");
      const after = src[i + m[0].length];
      if (after !== undefined && /[A-Za-z0-9_.]/.test(after)) fail(i, "malformed number");
      out.push({ kind: "number", text: m[0], at: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ kind: "name", text: m[0], at: i });
      i += m[0].length;
    } else {
      fail(i, `unexpected character ${JSON.stringify(c)}`);
    }
  }
  out.push({ kind: "end", text: "", at: src.length });
  return out;
}

/**
 * Parses the neutral syntax. `where` names the source in errors ("workload f.yaml: predicates.
 * subscribe[0]"); a malformed predicate is a UsageError naming it and the position.
 */
export function parsePredicate(text: string, where = "predicate"): Predicate {
  const fail = (at: number, why: string): never => {
    throw new UsageError(`${where}: ${JSON.stringify(text)} at ${at + 1}: ${why}`);
  };
  const tokens = tokenize(text, fail);
  let p = 0;
  const peek = () => tokens[p]!;
  const isWord = (t: Token, w: string) => t.kind === "name" && t.text.toUpperCase() === w;

  const or = (): Predicate => {
    const terms = [and()];
    while (isWord(peek(), "OR")) {
      p++;
      terms.push(and());
    }
    return terms.length === 1 ? terms[0]! : { kind: "or", terms };
  };
  const and = (): Predicate => {
    const terms = [unary()];
    while (isWord(peek(), "AND")) {
      p++;
      terms.push(unary());
    }
    return terms.length === 1 ? terms[0]! : { kind: "and", terms };
  };
  const unary = (): Predicate => {
    const t = peek();
    if (isWord(t, "NOT")) {
      p++;
      return { kind: "not", term: unary() };
    }
    if (t.kind === "(") {
      p++;
      const inner = or();
      if (peek().kind !== ")") fail(peek().at, "expected )");
      p++;
      return inner;
    }
    return comparison();
  };
  const comparison = (): Predicate => {
    const n = peek();
    if (n.kind !== "name")
      return fail(n.at, n.kind === "end" ? "a comparison is missing" : "expected a property name");
    const problem = propertyNameProblem(n.text);
    if (problem !== null) fail(n.at, problem);
    p++;
    const o = peek();
    if (o.kind !== "op") return fail(o.at, "expected one of = <> < <= > >=");
    p++;
    const v = peek();
    let value: PropertyValue;
    if (v.kind === "string") value = v.text;
    else if (v.kind === "number") {
      value = Number(v.text);
      if (propertyValueProblem(value) !== null) fail(v.at, "number out of range (±2^53)");
    } else return fail(v.at, "expected a 'string' or a number");
    p++;
    const op = o.text as ComparisonOp;
    if (typeof value === "string" && op !== "=" && op !== "<>") {
      fail(o.at, `strings compare with = and <> only (JMS selectors), not ${op}`);
    }
    return { kind: "cmp", name: n.text, op, value };
  };

  const result = or();
  if (peek().kind !== "end") fail(peek().at, `unexpected ${JSON.stringify(peek().text)}`);
  return result;
}

function compare(op: ComparisonOp, a: number | string, b: number | string): boolean {
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
}

/** The predicate's truth value for a message with these properties (three-valued). */
export function evaluatePredicate(p: Predicate, props: Properties): Truth {
  switch (p.kind) {
    case "cmp": {
      if (!Object.hasOwn(props, p.name)) return null;
      const v = props[p.name]!;
      // JMS: `a <> b` is NOT (a = b), and a = b between a string and a number is FALSE.
      if (typeof v !== typeof p.value) return p.op === "<>";
      return compare(p.op, v, p.value);
    }
    case "not": {
      const t = evaluatePredicate(p.term, props);
      return t === null ? null : !t;
    }
    case "and": {
      let unknown = false;
      for (const term of p.terms) {
        const t = evaluatePredicate(term, props);
        if (t === false) return false;
        if (t === null) unknown = true;
      }
      return unknown ? null : true;
    }
    case "or": {
      let unknown = false;
      for (const term of p.terms) {
        const t = evaluatePredicate(term, props);
        if (t === true) return true;
        if (t === null) unknown = true;
      }
      return unknown ? null : false;
    }
  }
}

/** Does a message with these properties match (the predicate is TRUE)? */
export function predicateMatches(p: Predicate, props: Properties): boolean {
  return evaluatePredicate(p, props) === true;
}

/** A literal in the neutral syntax (also JMS's). */
export function formatLiteral(v: PropertyValue): string {
  if (typeof v === "string") return `'${v.replaceAll("'", "''")}'`;
  if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
  // No exponent: the syntax has none (Number's own text uses one below 1e-6 and from 1e21).
  if (Number.isInteger(v)) return BigInt(v).toString();
  const text = String(v);
  return /e/i.test(text) ? v.toFixed(20).replace(/0+$/, "") : text;
}

/** The predicate as neutral text, every compound term parenthesized (parses back to the same tree). */
export function formatPredicate(p: Predicate): string {
  switch (p.kind) {
    case "cmp":
      return `${p.name} ${p.op} ${formatLiteral(p.value)}`;
    case "not":
      return `NOT ${p.term.kind === "cmp" ? formatPredicate(p.term) : `(${formatPredicate(p.term)})`}`;
    case "and":
    case "or":
      return p.terms
        .map((t) => (t.kind === "cmp" || t.kind === "not" ? formatPredicate(t) : `(${formatPredicate(t)})`))
        .join(p.kind === "and" ? " AND " : " OR ");
  }
}

/** Every property name the predicate reads. */
export function predicateNames(p: Predicate): Set<string> {
  const out = new Set<string>();
  const walk = (q: Predicate): void => {
    if (q.kind === "cmp") out.add(q.name);
    else if (q.kind === "not") walk(q.term);
    else for (const t of q.terms) walk(t);
  };
  walk(p);
  return out;
}
