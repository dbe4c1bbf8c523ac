/**
 * Real pipelines on the real Kafka (127.0.0.1:9092): processors crashing mid-batch (after their
 * updates are written, before the input offsets are committed) double-count at-least-once, count
 * exactly exactly-once (Kafka transactions: updates and offsets together, the successor's
 * transactional id fencing the dead one) and miss at-most-once. A crashed member is noticed after
 * Kafka's session timeout (6 s), so each run takes ~15–25 s.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kafkaFactory } from "../../../adapters/kafka/index.js";
import { serviceGate } from "../../../adapters/test/services.js";
import { checkHistoryFile } from "../../../checkers/index.js";
import type { RunResult } from "../../../core/results.js";
import { parseWorkloadText } from "../../workload/index.js";
import { executeRun } from "../run.js";

const gate = await serviceGate("kafka", "127.0.0.1", 9092);
const dir = mkdtempSync(join(tmpdir(), "bb-kafka-pipeline-"));
let n = 0;

async function run(mode: string): Promise<RunResult> {
  const yaml = `
kind: pipeline
partitions: 3
keys: round-robin
keyCount: 12
messageSize: 64
batchSize: 20
rate: 1000
durationS: 3
warmupS: 0.5
consumersPerGroup: 2
deliveryMode: ${mode}
drainTimeoutS: 40
faults:
  - { at: 1, duration: 0.3, kind: consumer-crash, target: "consumer:0" }
  - { at: 2, duration: 0.3, kind: consumer-crash, target: "consumer:1" }`;
  const [point] = parseWorkloadText(yaml, "kafka-pipeline.yaml");
  return executeRun({
    run: point!,
    runId: `kafka-${++n}`,
    factory: kafkaFactory,
    settings: { url: "127.0.0.1:9092" },
    dir: join(dir, `run-${n}`),
    history: true,
    check: (path, expect) => checkHistoryFile(path, { expect, threads: 0 }),
  });
}

describe.skipIf(gate.skip)(`pipelines on Kafka with processors crashing mid-batch (${gate.reason})`, () => {
  it("at-least-once: double counts, nothing missed (allowed: valid)", async () => {
    const r = await run("at-least-once");
    expect(r.status).toBe("completed");
    const p = r.pipeline!;
    expect(r.faults.length).toBe(2);
    expect(p.drained).toBe(true);
    expect(p.computation!.counts["double-counted"]).toBeGreaterThan(0);
    expect(p.computation!.excessEvents).toBeGreaterThan(0);
    expect([p.computation!.counts.missed, p.computation!.missingEvents]).toEqual([0, 0]);
    expect(p.computation!.valid).toBe(true);
  }, 120_000);

  it("exactly-once: no anomaly, final values exact", async () => {
    const r = await run("exactly-once");
    expect(r.status).toBe("completed");
    const p = r.pipeline!;
    expect(r.faults.length).toBe(2);
    expect(p.drained).toBe(true);
    expect(p.computation!.inputs).toBe(p.ackedEvents);
    expect(p.computation!.counts).toEqual({
      "double-counted": 0,
      missed: 0,
      "wrong-aggregate": 0,
      regressed: 0,
      "aborted-read": 0,
    });
    expect([p.computation!.excessEvents, p.computation!.missingEvents]).toEqual([0, 0]);
    expect(r.verdict?.valid).toBe(true);
  }, 120_000);

  it("at-most-once: events missed, none double-counted", async () => {
    const r = await run("at-most-once");
    expect(r.status).toBe("completed");
    const c = r.pipeline!.computation!;
    expect(c.counts.missed).toBeGreaterThan(0);
    expect(c.missingEvents).toBeGreaterThan(0);
    expect([c.counts["double-counted"], c.excessEvents]).toEqual([0, 0]);
  }, 120_000);
});
