/**
 * Real pipelines on the embedded reference broker: every mode computes right without faults; a
 * processor crash mid-batch double-counts at-least-once and nothing exactly-once; and the
 * computation checker catches each mutation of a real history (issue 16, part 5).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { referenceAdapter } from "../../../adapters/reference/index.js";
import { checkComputation } from "../../../checkers/computation.js";
import { checkHistoryFile } from "../../../checkers/index.js";
import {
  doubleAnInput,
  dropLastOutput,
  type Rec,
  readAnAbortedOutput,
  reorderAKey,
  skipAnInput,
} from "../../../checkers/test/pipeline-mutations.js";
import { readHistoryText } from "../../../core/history/compact-file.js";
import type { PipelineMeta } from "../../../core/history/computation.js";
import type { RunResult } from "../../../core/results.js";
import { parseWorkloadText } from "../../workload/index.js";
import { executeRun } from "../run.js";

const dir = mkdtempSync(join(tmpdir(), "bb-pipeline-"));
let n = 0;

async function run(yaml: string): Promise<RunResult & { dir: string; lines: string[] }> {
  const [point] = parseWorkloadText(yaml, "pipeline.yaml");
  const runDir = join(dir, `run-${++n}`);
  const result = await executeRun({
    run: point!,
    runId: `run-${n}`,
    factory: referenceAdapter,
    settings: { sessionTimeoutMs: "1000" },
    dir: runDir,
    history: true,
    check: (path, expect) => checkHistoryFile(path, { expect, threads: 0 }),
  });
  const written = JSON.parse(readFileSync(join(runDir, "results.json"), "utf8")) as RunResult;
  expect(written.status).toBe(result.status);
  const lines = readHistoryText(join(runDir, "history.bbh")).split("\n");
  return { ...result, dir: runDir, lines };
}

const base = (mode: string, extra = "") => `
kind: pipeline
partitions: 3
keys: round-robin
keyCount: 12
messageSize: 64
batchSize: 20
rate: 2000
durationS: 2
warmupS: 0.5
consumersPerGroup: 2
deliveryMode: ${mode}
drainTimeoutS: 20
${extra}`;

const crash = `faults:
  - { at: 0.6, duration: 0.3, kind: consumer-crash, target: "consumer:0" }
  - { at: 1.2, duration: 0.3, kind: consumer-crash, target: "consumer:1" }`;

describe("pipelines on the reference broker", () => {
  for (const mode of ["at-least-once", "exactly-once", "at-most-once"]) {
    it(`${mode}, no faults: every update is the aggregate of its key's prefix, the final values complete`, async () => {
      const r = await run(base(mode));
      expect(r.status).toBe("completed");
      const p = r.pipeline!;
      expect(p.drained).toBe(true);
      expect(p.ackedEvents).toBeGreaterThan(1000);
      expect(p.computation!.valid).toBe(true);
      expect(Object.values(p.computation!.counts).every((c) => c === 0)).toBe(true);
      expect(p.computation!.inputs).toBe(p.ackedEvents);
      expect([p.computation!.excessEvents, p.computation!.missingEvents]).toEqual([0, 0]);
      expect(p.eventsPerSec).toBeGreaterThan(0);
      expect(p.endToEnd.count).toBeGreaterThan(0);
      expect(r.verdict?.valid).toBe(true);
    }, 30_000);
  }

  it("at-least-once with processors crashing mid-batch: double counts, nothing missed (allowed: valid)", async () => {
    const r = await run(base("at-least-once", crash));
    const c = r.pipeline!.computation!;
    expect(r.faults.length).toBe(2);
    expect(c.counts["double-counted"]).toBeGreaterThan(0);
    expect(c.excessEvents).toBeGreaterThan(0);
    expect(c.counts.missed).toBe(0);
    expect(c.valid).toBe(true);
  }, 30_000);

  it("exactly-once with processors crashing mid-batch: no anomaly, final values exact", async () => {
    const r = await run(base("exactly-once", crash));
    const c = r.pipeline!.computation!;
    expect(r.faults.length).toBe(2);
    expect(c.counts).toEqual({
      "double-counted": 0,
      missed: 0,
      "wrong-aggregate": 0,
      regressed: 0,
      "aborted-read": 0,
    });
    expect([c.excessEvents, c.missingEvents]).toEqual([0, 0]);
    expect(c.valid).toBe(true);
    expect(r.pipeline!.drained).toBe(true);
  }, 30_000);

  it("exactly-once with a broker crash (a spawned server killed and restarted): no anomaly", async () => {
    const r = await run(
      base(
        "exactly-once",
        "server: spawn\nfaults: [{ at: 0.8, duration: 0.5, kind: broker-crash, target: broker }]",
      ),
    );
    const c = r.pipeline!.computation!;
    expect(r.faults.length).toBe(1);
    expect(
      Object.values(c.counts).every((n) => n === 0),
      JSON.stringify(c),
    ).toBe(true);
    expect([c.excessEvents, c.missingEvents]).toEqual([0, 0]);
    expect(r.pipeline!.drained).toBe(true);
  }, 60_000);

  it("at-most-once with processors crashing mid-batch: events missed, none double-counted", async () => {
    const r = await run(base("at-most-once", crash));
    const c = r.pipeline!.computation!;
    expect(c.counts.missed).toBeGreaterThan(0);
    expect(c.counts["double-counted"]).toBe(0);
    expect(c.missingEvents).toBeGreaterThan(0);
  }, 30_000);
});

describe("what a pipeline needs", () => {
  it("an adapter without the log model reports the pipeline not supported, saying why", async () => {
    const [point] = parseWorkloadText(base("at-least-once"), "pipeline.yaml");
    const r = await executeRun({
      run: point!,
      runId: "queue",
      factory: referenceAdapter,
      settings: { queue: "true" },
      dir: join(dir, "queue"),
      history: true,
      check: null,
    });
    expect(r.status).toBe("not-supported");
    expect(r.reason).toBe("reference: a pipeline needs the log model (offsets), not queue");
  });
});

describe("mutations of a real exactly-once history are caught (issue 16, part 5)", () => {
  let r: Awaited<ReturnType<typeof run>>;
  let recs: Rec[] = [];
  let meta: PipelineMeta;
  beforeAll(async () => {
    r = await run(base("exactly-once", crash));
    recs = r.lines.filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Rec);
    meta = (recs[0]!.value as { pipeline: PipelineMeta }).pipeline;
  }, 30_000);
  const judge = (mutated: Rec[] | null) => {
    expect(mutated).not.toBeNull();
    return checkComputation(mutated!.map((x) => JSON.stringify(x)))!;
  };

  it("the history as recorded is valid", () => {
    expect(checkComputation(r.lines)!.valid).toBe(true);
  });
  const cases = [
    ["double an input", doubleAnInput, "double-counted"],
    ["skip an input", skipAnInput, "missed"],
    ["drop a key's last output", dropLastOutput, "missed"],
    ["reorder updates of one key", reorderAKey, "regressed"],
    ["read an aborted output", readAnAbortedOutput, "aborted-read"],
  ] as const;
  for (const [name, mutate, anomaly] of cases) {
    it(`${name}: ${anomaly}`, () => {
      for (const pick of [0, 5, 17]) {
        const v = judge(mutate(recs, meta, pick));
        expect(v.counts[anomaly]).toBeGreaterThan(0);
        expect(v.valid).toBe(false);
      }
    });
  }
});
