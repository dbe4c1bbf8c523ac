/**
 * Predicates (core/predicates.ts) translated into brokers' own filters. Each translation is exact:
 * what the broker's filter matches is exactly what the neutral predicate matches, for every message;
 * a predicate a broker cannot express is refused (a UsageError naming the adapter and the
 * predicate), never widened. `predicates.test.ts` checks each against the neutral evaluator for
 * random predicates and property sets, through a model of the broker's own evaluation.
 */
import { UsageError } from "../core/errors.js";
import { formatLiteral, type Predicate, propertyNameProblem } from "../core/predicates.js";

/**
 * A JMS message selector (ActiveMQ Artemis, also ActiveMQ Classic and any JMS broker). The neutral
 * syntax has the selector's semantics (three-valued logic, UNKNOWN for a missing property, FALSE for
 * a string compared with a number, `<>` as NOT `=`), but not quite its grammar: there NOT is a unary
 * operator on primaries, binding tighter than a comparison, so `NOT a = 1` reads `(NOT a) = 1`
 * (Artemis 2.40 rejects `NOT region >= 2.5` as an invalid filter and accepts `NOT priority = ''`
 * with another meaning, measured). Every NOT's operand is therefore parenthesized, as is every
 * compound term. Property names are identifiers naming application properties (not JMS or AMQ
 * header names); numbers are sent typed (long or double), so that they compare numerically.
 */
export function jmsSelector(p: Predicate, adapter = "jms"): string {
  switch (p.kind) {
    case "cmp": {
      const problem = propertyNameProblem(p.name);
      if (problem !== null) throw new UsageError(`${adapter}: property ${p.name}: ${problem}`);
      // formatLiteral writes no exponent (JMS reads integers as long, decimals as double).
      return `${p.name} ${p.op} ${formatLiteral(p.value)}`;
    }
    case "not":
      return `NOT (${jmsSelector(p.term, adapter)})`;
    case "and":
    case "or":
      return p.terms
        .map((t) =>
          t.kind === "cmp" || t.kind === "not" ? jmsSelector(t, adapter) : `(${jmsSelector(t, adapter)})`,
        )
        .join(p.kind === "and" ? " AND " : " OR ");
  }
}
