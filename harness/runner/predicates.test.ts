import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_ARTEMIS_URL } from "../../adapters/artemis/index.js";
import { hostPort, serviceGate } from "../../adapters/test/index.js";
import { UsageError } from "../../core/errors.js";
import { parsePredicate, predicateMatches } from "../../core/predicates.js";
import type { RunResult } from "../../core/results.js";
import { main } from "../cli/cli.js";
import { type PredicatesSpec, parseWorkloadText } from "../workload/index.js";
import { groupPredicate, otherPredicates, PropertyCycle, predicatesMeta } from "./predicates.js";

const specArb: fc.Arbitrary<PredicatesSpec> = fc.record({
  properties: fc
    .uniqueArray(fc.constantFrom("region", "priority", "tier", "zone"), { minLength: 1, maxLength: 3 })
    .chain((names) =>
      fc.tuple(
        ...names.map((n) =>
          fc
            .array(
              fc.oneof(fc.constantFrom("eu", "us", "bb-other-0", null), fc.integer({ min: -2, max: 12 })),
              {
                minLength: 1,
                maxLength: 4,
              },
            )
            .map((vs) => [n, vs] as const),
        ),
      ),
    )
    .map((entries) => Object.fromEntries(entries)),
  subscribe: fc.constant(["region = 'eu' OR priority > 3"]),
});

describe("workload predicates", () => {
  it("the property cycle goes through every combination, absent values left out", () => {
    const cycle = new PropertyCycle({
      properties: { region: ["eu", "us", null], priority: [1, 2] },
      subscribe: ["region = 'eu'"],
    });
    expect(cycle.size).toBe(6);
    expect([0, 1, 2, 3, 4, 5, 6].map((s) => cycle.of(s).json)).toEqual([
      '{"region":"eu","priority":1}',
      '{"region":"us","priority":1}',
      '{"priority":1}',
      '{"region":"eu","priority":2}',
      '{"region":"us","priority":2}',
      '{"priority":2}',
      '{"region":"eu","priority":1}',
    ]);
  });

  it("the other subscriptions' predicates match no message of the run, whatever the properties", () => {
    fc.assert(
      fc.property(specArb, fc.integer({ min: 1, max: 30 }), (spec, n) => {
        const others = otherPredicates(spec, n);
        expect(others).toHaveLength(n);
        for (const m of new PropertyCycle(spec).all())
          for (const p of others) expect(predicateMatches(p, m.properties)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("counts what each group is owed, and gives groups their predicates in turn", () => {
    const spec = {
      properties: { region: ["eu", "us"], priority: [1, 5] },
      subscribe: ["region = 'eu'", "priority > 3"],
    };
    const cycle = new PropertyCycle(spec);
    const owed = [0, 0, 0];
    const predicates = [0, 1, 2].map((g) => groupPredicate(spec, g));
    cycle.owed(predicates, 0, 8, owed);
    expect(owed).toEqual([4, 4, 4]);
    expect(predicatesMeta(spec, ["g1", "g2", "g3"])).toEqual({
      g1: "region = 'eu'",
      g2: "priority > 3",
      g3: "region = 'eu'",
    });
  });

  it("a bad predicate or property is a usage error naming the file and the field", () => {
    const base = ["predicates:", "  properties: { region: [eu, us] }"];
    const load = (lines: string[]) => () => parseWorkloadText(lines.join("\n"), "w.yaml");
    expect(load([...base, `  subscribe: ["region > 'eu'"]`])).toThrow(UsageError);
    expect(load([...base, `  subscribe: ["region > 'eu'"]`])).toThrow(
      /w\.yaml: field "predicates\.subscribe\.0": predicate 1: .*strings compare with = and <> only/,
    );
    expect(load(["predicates:", "  properties: { JMSType: [a] }", '  subscribe: ["a = 1"]'])).toThrow(
      /field "predicates\.properties\.JMSType": names starting with JMS or AMQ/,
    );
    expect(load(["predicates:", "  properties: { a: [[1]] }", '  subscribe: ["a = 1"]'])).toThrow(
      /field "predicates\.properties\.a\.0"/,
    );
    expect(
      parseWorkloadText([...base, `  subscribe: ["region = 'eu'"]`].join("\n"), "w.yaml")[0]?.workload
        .predicates,
    ).toEqual({ properties: { region: ["eu", "us"] }, subscribe: ["region = 'eu'"] });
    expect(parsePredicate("region = 'eu'")).toEqual(
      groupPredicate({ properties: {}, subscribe: ["region = 'eu'"] }, 0),
    );
  });
});

const url = process.env.BROKERBENCH_ARTEMIS_URL || DEFAULT_ARTEMIS_URL;
const at = hostPort(url, 61616);
const artemis = await serviceGate("artemis", at.host, at.port);

describe.skipIf(!artemis.available)(
  `brokerbench run with predicates on artemis${artemis.available ? "" : ` — SKIPPED: ${artemis.reason}`}`,
  () => {
    it("each group gets exactly its matches (valid), past 20 other subscriptions; refused where not declared", {
      timeout: 120_000,
    }, async () => {
      const dir = mkdtempSync(join(tmpdir(), "bb-predicates-run-"));
      const file = join(dir, "p.yaml");
      writeFileSync(
        file,
        [
          "rate: 1000",
          "batchSize: 20",
          "durationS: 1.5",
          "warmupS: 0",
          "groups: 2",
          "filters: 20",
          "predicates:",
          "  properties: { region: [eu, us, null], priority: [1, 5, 9] }",
          `  subscribe: ["region = 'eu' AND priority > 3", "NOT region = 'eu'"]`,
        ].join("\n"),
      );
      const log = vi.spyOn(console, "log").mockImplementation(() => {});
      const error = vi.spyOn(console, "error").mockImplementation(() => {});
      let code: number;
      try {
        code = await main([
          "run",
          file,
          "--adapter",
          "artemis,reference",
          "--set",
          `artemis.url=${url}`,
          "--out",
          dir,
          "--report",
          "none",
        ]);
      } finally {
        log.mockRestore();
        error.mockRestore();
      }
      expect(code).toBe(0);
      const read = (name: string) =>
        JSON.parse(readFileSync(join(dir, name, "results.json"), "utf8")) as RunResult;
      const r = read("p-artemis");
      expect(r.status).toBe("completed");
      expect(r.verdict?.valid).toBe(true);
      const acked = r.counts.ackedMsgs;
      expect(acked).toBeGreaterThan(900);
      // What each group is owed, recounted from the history's acknowledged sends and their props.
      const history = readFileSync(join(dir, "p-artemis", "history.jsonl"), "utf8");
      const props = new Map<string, Record<string, string | number>>();
      for (const l of history.split("\n").filter((x) => x !== "")) {
        const rec = JSON.parse(l) as {
          type: string;
          f: string;
          value?: { id: string; props?: Record<string, string | number> }[];
        };
        if (rec.f === "send" && rec.type === "ok")
          for (const m of rec.value ?? []) props.set(m.id, m.props ?? {});
      }
      expect(props.size).toBe(acked);
      const owed = (text: string) =>
        [...props.values()].filter((m) => predicateMatches(parsePredicate(text), m)).length;
      expect(r.counts.deliveredMsgs.g1).toBe(owed("region = 'eu' AND priority > 3"));
      expect(r.counts.deliveredMsgs.g2).toBe(owed("NOT region = 'eu'"));
      expect(r.counts.deliveredMsgs.g1).toBeGreaterThan(0);
      expect(r.verdict?.groups.map((g) => g.drained)).toEqual([true, true]);
      expect(history).toContain(
        `"predicates":{"g1":"region = 'eu' AND priority > 3","g2":"NOT region = 'eu'"}`,
      );
      expect(history).toContain(`"props":{"region":"us","priority":5}`);
      expect(read("p-reference").status).toBe("not-supported");
    });
  },
);
