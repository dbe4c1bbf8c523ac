import { describe, expect, it } from "vitest";
import { ANOMALIES, type Verdict } from "../../checkers/verdict.js";
import type { RunResult, RunStatus } from "../../core/results.js";
import { RunMetrics } from "../metrics/index.js";
import { renderSummary, renderTable } from "./summary.js";

function result(runId: string, status: RunStatus, reason: string | null, verdict: Verdict | null): RunResult {
  const m = new RunMetrics({ startMs: 0, warmupS: 0, messageBytes: 100, groups: ["g1"] });
  m.onAcked(1000, 10, 10, 12);
  m.onDelivered(0, 1000, 13);
  m.onEndToEnd(1000, 10, 10, 13);
  const s = m.summary();
  return {
    format: 1,
    runId,
    workload: { name: runId, file: null, matrix: {}, params: {} },
    adapter: {
      name: "reference",
      settings: {},
      capabilities: {
        model: "log",
        push: true,
        pull: true,
        queue: true,
        pubsub: true,
        replay: true,
        partitions: true,
        deliveryModes: ["at-least-once"],
        ordering: "partition",
        idempotentProduce: false,
      },
    },
    environment: {
      brokerbench: "0",
      node: "v20",
      platform: "linux",
      arch: "x64",
      cpuModel: "cpu",
      cpus: 2,
      memTotalMiB: 1,
      hostname: "h",
      adapterVersions: {},
    },
    status,
    reason,
    startedAt: "2026-01-01T00:00:00Z",
    durationS: 1,
    warmupS: 0,
    counts: {
      sentMsgs: 1000,
      ackedMsgs: 1000,
      failedMsgs: 0,
      unknownMsgs: 0,
      deliveredMsgs: s.deliveredMsgs,
    },
    throughput: s.throughput,
    latency: s.latency,
    backlog: s.backlog,
    timeseries: s.timeseries,
    faults: [],
    verdict,
    history: "history.jsonl",
  };
}

function verdict(lost: number): Verdict {
  const counts = Object.fromEntries(ANOMALIES.map((a) => [a, 0])) as Record<
    (typeof ANOMALIES)[number],
    number
  >;
  counts.lost = lost;
  return {
    valid: lost === 0,
    expect: { delivery: "at-least-once", order: "partition" },
    forbidden: ["lost", "unexpected"],
    counts,
    messages: { attempted: 1000, acknowledged: 1000, failed: 0, unknown: 0 },
    groups: [{ group: "g1", drained: true, delivered: 1000 - lost, recovered: 0, anomalies: {} }],
    log: {},
    warnings: [],
    lines: 10,
  };
}

describe("summary", () => {
  it("one row per run with figures, counts and the verdict; a note for each run that is not plain valid", () => {
    const text = renderSummary([
      result("ok-run", "completed", null, verdict(0)),
      result("lossy", "completed", null, verdict(7)),
      result("cannot", "not-supported", "nats: pull delivery is not supported", null),
      result("down", "error", "redis: cannot reach the broker at 127.0.0.1:1", null),
    ]);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^run\s+adapter\s+status\s+pub msg\/s\s+cons msg\/s\s+pub p99 ms\s+e2e p50 ms/);
    expect(lines[2]).toMatch(/^ok-run\s+reference\s+completed\s+.*\s0\s+0\s+valid$/);
    expect(lines[3]).toMatch(/^lossy\s+.*\s7\s+0\s+INVALID\s+forbidden anomalies \(below\)$/);
    expect(lines[4]).toMatch(
      /^cannot\s+reference\s+not-supported(\s+-)+\s+nats: pull delivery is not supported$/,
    );
    expect(text).toContain("lossy on reference: INVALID for delivery at-least-once, order partition: lost 7");
    expect(text).toContain("cannot on reference: not-supported: nats: pull delivery is not supported");
    expect(text).toContain("down on reference: error: redis: cannot reach the broker at 127.0.0.1:1");
    expect(text).not.toContain("ok-run on");
  });

  it("an inconclusive run says why on its row, with its figures and no verdict (issue 11, defect 1)", () => {
    const why = "every send failed: 20 of 20 message(s) (first error: MAX_PAYLOAD_EXCEEDED)";
    const text = renderSummary([result("huge", "inconclusive", why, null)]);
    const row = text.split("\n")[2]!;
    expect(row).toMatch(/^huge\s+reference\s+inconclusive\s+[\d,.]+\s+/);
    expect(row).toMatch(
      /\s+no evidence\s+every send failed: 20 of 20 message\(s\) \(first error: MAX_PAYLOAD_EXCE…$/,
    );
    expect(text).toContain(`huge on reference: inconclusive: ${why}`);
  });

  it("aligns columns, numbers to the right", () => {
    expect(
      renderTable(
        ["run", "pub msg/s"],
        [
          ["a", "5"],
          ["bbbb", "1,000"],
        ],
      ).split("\n"),
    ).toEqual(["run   pub msg/s", "----  ---------", "a             5", "bbbb      1,000"]);
  });
});
