/**
 * Workload `predicates` (property filtering): producers attach properties to every message, each
 * group subscribes with a predicate over them (core/predicates.ts), and the checker judges each
 * group against the messages its predicate matches (from the properties and predicates the history
 * records). With `filters: N`, every topic also gets N − 1 subscriptions (no consumer) whose
 * predicates match no message of the run, so the broker tests each message against N predicates.
 */
import {
  formatPredicate,
  type Predicate,
  type Properties,
  type PropertyValue,
  parsePredicate,
  predicateMatches,
} from "../../core/predicates.js";
import type { PredicatesSpec } from "../workload/index.js";

/** One message's properties, and their JSON text as the history records it. */
export interface MessageProperties {
  readonly properties: Properties;
  readonly json: string;
}

/**
 * The properties of message `seq` (a lane's sequence number): every combination of the listed
 * values in turn, the first property varying fastest (mixed radix), so that a few hundred messages
 * cover every combination the predicates can tell apart. A null value leaves the property out.
 */
export class PropertyCycle {
  private readonly names: readonly string[];
  private readonly values: readonly (readonly (PropertyValue | null)[])[];
  private readonly combinations: number;
  private readonly cache = new Map<number, MessageProperties>();

  constructor(spec: PredicatesSpec) {
    this.names = Object.keys(spec.properties);
    this.values = this.names.map((n) => spec.properties[n] ?? [null]);
    this.combinations = this.values.reduce((n, v) => n * v.length, 1);
  }

  /** How many distinct property sets the cycle goes through. */
  get size(): number {
    return this.combinations;
  }

  of(seq: number): MessageProperties {
    const c = seq % this.combinations;
    let hit = this.cache.get(c);
    if (hit === undefined) {
      const properties: Record<string, PropertyValue> = {};
      let rest = c;
      for (let i = 0; i < this.names.length; i++) {
        const vs = this.values[i]!;
        const v = vs[rest % vs.length]!;
        rest = Math.floor(rest / vs.length);
        if (v !== null) properties[this.names[i]!] = v;
      }
      hit = { properties, json: JSON.stringify(properties) };
      // Bounded: a cycle of millions of combinations is computed as it goes.
      if (this.cache.size < 100_000) this.cache.set(c, hit);
    }
    return hit;
  }

  /**
   * Counts, per group, how many of the messages `firstSeq` … `firstSeq + count − 1` its predicate
   * matches (`predicates[g]`), adding them to `out[g]`: what the group is owed.
   */
  owed(predicates: readonly Predicate[], firstSeq: number, count: number, out: number[]): void {
    this.matchTable ??= predicates.map(() => new Int8Array(Math.min(this.combinations, 1 << 20)).fill(-1));
    for (let i = 0; i < count; i++) {
      const c = (firstSeq + i) % this.combinations;
      for (let g = 0; g < predicates.length; g++) {
        const table = this.matchTable[g]!;
        let m = c < table.length ? table[c]! : -1;
        if (m < 0) {
          m = predicateMatches(predicates[g]!, this.of(c).properties) ? 1 : 0;
          if (c < table.length) table[c] = m;
        }
        out[g]! += m;
      }
    }
  }

  private matchTable: Int8Array[] | null = null;

  /** Every property set of the cycle (for checking that the others match none). */
  all(): MessageProperties[] {
    return Array.from({ length: Math.min(this.combinations, 1_000_000) }, (_, i) => this.of(i));
  }
}

/** The predicate group `index` (0-based, in the run's group order) subscribes with. */
export function groupPredicate(spec: PredicatesSpec, index: number): Predicate {
  const text = spec.subscribe[index % spec.subscribe.length]!;
  return parsePredicate(text, `predicates.subscribe[${index % spec.subscribe.length}]`);
}

/**
 * `count` predicates that match no message of the run, each as costly to test as the first group's
 * plus one comparison: `P = <a value P never takes> AND (<subscribe[0]>)`, P the first property.
 * (A broker that evaluates AND left to right stops at the first comparison, as it would for any
 * subscriber whose first condition fails.)
 */
export function otherPredicates(spec: PredicatesSpec, count: number): Predicate[] {
  const [name] = Object.keys(spec.properties);
  if (name === undefined || count <= 0) return [];
  const taken = spec.properties[name] ?? [];
  const numeric = taken.every((v) => v === null || typeof v === "number");
  const max = Math.max(0, ...taken.filter((v): v is number => typeof v === "number"));
  const base = groupPredicate(spec, 0);
  return Array.from({ length: count }, (_, k) => {
    let value: PropertyValue = numeric ? Math.floor(max) + 1 + k : `bb-other-${k}`;
    while (taken.includes(value)) value = typeof value === "number" ? value + count : `${value}-x`;
    return { kind: "and", terms: [{ kind: "cmp", name, op: "=", value }, base] };
  });
}

/** The meta line's `predicates`: each group's predicate as neutral text. */
export function predicatesMeta(spec: PredicatesSpec, groups: readonly string[]): Record<string, string> {
  return Object.fromEntries(groups.map((g, i) => [g, formatPredicate(groupPredicate(spec, i))]));
}
