/**
 * Property-based: histories of a correct (simulated) broker report no anomaly the broker
 * guarantees against; one injected fault of each kind is found as the right anomaly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkHistory } from "../check.js";
import type { Anomaly, Verdict } from "../verdict.js";
import { type Rec, type SimParams, simulate } from "./simulated-broker.js";

const params = (minPartitions = 1): fc.Arbitrary<SimParams> =>
  fc.record({
    seed: fc.integer(),
    producers: fc.integer({ min: 1, max: 3 }),
    partitions: fc.integer({ min: minPartitions, max: 3 }),
    groups: fc.integer({ min: 1, max: 2 }),
    consumersPerGroup: fc.integer({ min: 1, max: 2 }),
    steps: fc.integer({ min: 10, max: 120 }),
  });

const check = (recs: readonly Rec[]): Verdict => checkHistory(recs.map((r) => JSON.stringify(r)));
const found = (v: Verdict) =>
  Object.entries(v.counts)
    .filter(([, n]) => n > 0)
    .map(([a]) => a as Anomaly);
const clone = (recs: readonly Rec[]): Rec[] => structuredClone(recs) as Rec[];
type Entry = { id: string; partition: number; offset: number | null };
const polls = (recs: readonly Rec[]) => recs.filter((r) => r.f === "poll" && r.type === "ok");
const entries = (r: Rec) => r.value as Entry[];

describe("a correct broker's histories", () => {
  it("report no anomaly the broker guarantees against, and are valid", () => {
    fc.assert(
      fc.property(params(), (p) => {
        const v = check(simulate(p));
        // Redelivery after crashes and rebalances is allowed at-least-once; several partitions
        // read by several consumers legitimately interleave differently (no total order).
        const allowed = new Set<Anomaly>(["duplicate-delivery", "total-order"]);
        expect(found(v).filter((a) => !allowed.has(a))).toEqual([]);
        expect(v.valid).toBe(true);
        if (p.partitions === 1) expect(v.counts["total-order"]).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});

/** One fault: mutates the history in place; returns false when it has nothing to mutate. */
type Fault = (recs: Rec[], pick: (n: number) => number) => boolean;

const faults: Record<string, { anomaly: Anomaly; fault: Fault; minPartitions?: number }> = {
  "drop a delivery": {
    anomaly: "lost",
    fault(recs, pick) {
      // Only acknowledged messages must arrive (an `info` send may legitimately be missing).
      const acked = new Set(
        recs.filter((r) => r.f === "send" && r.type === "ok").flatMap((r) => entries(r).map((e) => e.id)),
      );
      const delivered = polls(recs).flatMap((r) =>
        entries(r)
          .filter((e) => acked.has(e.id))
          .map((e) => ({ id: e.id, group: r["group"] })),
      );
      if (delivered.length === 0) return false;
      const victim = delivered[pick(delivered.length)]!;
      for (const r of polls(recs))
        if (r["group"] === victim.group) r.value = entries(r).filter((e) => e.id !== victim.id);
      return true;
    },
  },
  "duplicate a delivery": {
    anomaly: "duplicate-delivery",
    fault(recs, pick) {
      const ps = polls(recs);
      if (ps.length === 0) return false;
      const r = ps[pick(ps.length)]!;
      const es = entries(r);
      const i = pick(es.length);
      es.splice(i, 0, { ...es[i]! });
      return true;
    },
  },
  "swap two deliveries": {
    anomaly: "nonmonotonic-poll",
    fault(recs, pick) {
      const spots = polls(recs).flatMap((r) =>
        entries(r)
          .map((e, i) => ({ r, i, e }))
          .filter(({ r, i, e }) => entries(r)[i + 1]?.partition === e.partition),
      );
      if (spots.length === 0) return false;
      const { r, i } = spots[pick(spots.length)]!;
      const es = entries(r);
      [es[i], es[i + 1]] = [es[i + 1]!, es[i]!];
      return true;
    },
  },
  "change an offset": {
    anomaly: "inconsistent-offset",
    fault(recs, pick) {
      const spots = polls(recs).flatMap((r) => entries(r).map((e) => e));
      const withOther = spots.filter((e) => spots.some((o) => o.partition === e.partition && o.id !== e.id));
      if (withOther.length === 0) return false;
      const e = withOther[pick(withOther.length)]!;
      const others = spots.filter((o) => o.partition === e.partition && o.id !== e.id);
      e.offset = others[pick(others.length)]!.offset;
      return true;
    },
  },
  "deliver an unsent id": {
    anomaly: "unexpected",
    fault(recs, pick) {
      const ps = polls(recs);
      if (ps.length === 0) return false;
      entries(ps[pick(ps.length)]!).push({ id: "999999-1", partition: 0, offset: null, topic: "t" } as Entry);
      return true;
    },
  },
  "fail a send that is delivered": {
    anomaly: "aborted-read",
    fault(recs, pick) {
      const deliveredIds = new Set(polls(recs).flatMap((r) => entries(r).map((e) => e.id)));
      const oks = recs.filter(
        (r) => r.f === "send" && r.type === "ok" && entries(r).some((e) => deliveredIds.has(e.id)),
      );
      if (oks.length === 0) return false;
      const r = oks[pick(oks.length)]!;
      r.type = "fail";
      r.value = entries(r).map(({ id }) => ({ id, topic: "t" }));
      return true;
    },
  },
  "break a causal chain": {
    anomaly: "causal",
    minPartitions: 2,
    fault(recs, pick) {
      // A consumer that first received y, then x, where x was sent before y by another
      // producer: declare that y depends on x.
      const sendAt = new Map<string, number>();
      recs.forEach((r, i) => {
        if (r.f === "send" && r.type === "invoke")
          for (const e of entries(r)) if (!sendAt.has(e.id)) sendAt.set(e.id, i);
      });
      const byProc = new Map<unknown, string[]>();
      for (const r of polls(recs)) {
        const seen = byProc.get(r["process"]) ?? [];
        byProc.set(r["process"], seen);
        for (const e of entries(r)) if (!seen.includes(e.id)) seen.push(e.id);
      }
      const pairs: [string, string][] = [];
      for (const seen of byProc.values())
        for (let i = 0; i < seen.length; i++)
          for (let j = i + 1; j < seen.length && pairs.length < 50; j++) {
            const [y, x] = [seen[i]!, seen[j]!];
            if (y.split("-")[0] !== x.split("-")[0] && sendAt.get(x)! < sendAt.get(y)!) pairs.push([y, x]);
          }
      if (pairs.length === 0) return false;
      const [y, x] = pairs[pick(pairs.length)]!;
      const invoke = recs[sendAt.get(y)!]!;
      for (const e of entries(invoke)) if (e.id === y) (e as Entry & { deps?: string[] }).deps = [x];
      return true;
    },
  },
};

describe("one injected fault", () => {
  for (const [name, { anomaly, fault, minPartitions }] of Object.entries(faults)) {
    it(`${name}: ${anomaly} is found`, () => {
      let applied = 0;
      fc.assert(
        fc.property(params(minPartitions), fc.integer({ min: 0, max: 2 ** 30 }), (p, choice) => {
          const recs = clone(simulate(p));
          let c = choice;
          const pick = (n: number) => {
            const i = c % n;
            c = Math.floor(c / n) + 7919;
            return i;
          };
          if (!fault(recs, pick)) return;
          applied++;
          const v = check(recs);
          expect(v.counts[anomaly]).toBeGreaterThan(0);
        }),
        { numRuns: 100 },
      );
      expect(applied).toBeGreaterThan(20);
    });
  }
});
