import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ANOMALIES, type Verdict } from "../../checkers/verdict.js";
import type { RunResult, RunStatus } from "../../core/results.js";
import { RunMetrics } from "../metrics/index.js";
import { renderSummary, renderTable } from "./summary.js";

/** Ids of `n` messages of producer process 1, sequences from `from`: what onDelivered reads. */
const ids = (n: number, from = 0): [number[], number[]] => [
  Array.from({ length: n }, () => 1),
  Array.from({ length: n }, (_, i) => from + i),
];

function result(runId: string, status: RunStatus, reason: string | null, verdict: Verdict | null): RunResult {
  const m = new RunMetrics({ startMs: 0, warmupS: 0, messageBytes: 100, groups: ["g1"] });
  m.onAcked(1000, 10, 10, 12);
  m.onDelivered(0, 1000, 13, ...ids(1000));
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

describe("summary --wide", () => {
  it("one row per run with every column; a note for each run that is not plain valid", () => {
    const text = renderSummary(
      [
        result("ok-run", "completed", null, verdict(0)),
        result("lossy", "completed", null, verdict(7)),
        result("cannot", "not-supported", "nats: pull delivery is not supported", null),
        result("down", "error", "redis: cannot reach the broker at 127.0.0.1:1", null),
      ],
      { wide: true },
    );
    const lines = text.split("\n");
    expect(lines[0]).toMatch(
      /^run\s+adapter\s+status\s+pub msg\/s\s+cons msg\/s\s+cons\/group\s+pub p99 ms\s+e2e p50 ms.*lost\s+dup deliv\s+dup proc\s+verdict\s+why$/,
    );
    expect(lines[2]).toMatch(/^ok-run\s+reference\s+completed\s+.*\s0\s+0\s+0\s+valid$/);
    expect(lines[3]).toMatch(/^lossy\s+.*\s7\s+0\s+0\s+INVALID\s+forbidden anomalies \(see below\)$/);
    expect(lines[4]).toMatch(
      /^cannot\s+reference\s+not-supported(\s+-)+\s+not-supported\s+nats: pull delivery is not supported$/,
    );
    expect(text).toContain("lossy on reference: INVALID for delivery at-least-once, order partition: lost 7");
    expect(text).toContain("cannot on reference: not-supported: nats: pull delivery is not supported");
    expect(text).toContain("down on reference: error: redis: cannot reach the broker at 127.0.0.1:1");
    expect(text).not.toContain("ok-run on");
  });

  it("shows how far behind schedule the producers were when the warmup ended, - where not recorded", () => {
    const late = result("late", "completed", null, verdict(0));
    const text = renderSummary(
      [
        { ...late, counts: { ...late.counts, warmupDelayDroppedMs: 243.5 } },
        result("older", "completed", null, verdict(0)),
      ],
      { wide: true },
    );
    const lines = text.split("\n");
    const column = lines[0]!.indexOf("warmup lag ms");
    expect(column).toBeGreaterThan(0);
    // Right-aligned under its header: the cell ends where the header does.
    const end = column + "warmup lag ms".length;
    expect(lines[2]!.slice(column, end).trim()).toBe("244");
    expect(lines[3]!.slice(column, end).trim()).toBe("-");
    expect(text).toContain("warmup lag: how far behind schedule the producers were when the warmup ended");
  });

  it("an inconclusive run says why on its row, with its figures and no verdict (issue 11, defect 1)", () => {
    const why =
      "every send failed: 20 of 20 message(s) (first error: MAX_PAYLOAD_EXCEEDED, the server's limit)";
    const wide = renderSummary([result("huge", "inconclusive", why, null)], { wide: true });
    const row = wide.split("\n")[2]!;
    expect(row).toMatch(/^huge\s+reference\s+inconclusive\s+[\d,.]+\s+/);
    expect(row).toMatch(
      /\s+inconclusive\s+every send failed: 20 of 20 message\(s\) \(first error: MAX_PAYLOAD_EXCE…$/,
    );
    expect(wide).toContain(`huge on reference: inconclusive: ${why}`);
    // The default (120 columns): figures, the status, the reason in the room left, whole below.
    const narrow = renderSummary([result("huge", "inconclusive", why, null)]);
    const lines = narrow.split("\n");
    expect(lines[1]).toMatch(/\s+verdict\s+why$/);
    expect(lines[3]).toMatch(
      /^huge\s+[\d,.]+\s+.*\s+inconclusive\s+every send failed: 20 of 20 message\(s\)/,
    );
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(120);
    expect(narrow).toContain("huge: inconclusive: every send failed: 20 of 20 message(s)");
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

/** A run of a suite: workload `wl`, matrix point, adapter. */
function point(
  matrix: Record<string, unknown>,
  adapter: string,
  status: RunStatus = "completed",
  v = verdict(0),
): RunResult {
  const r = result(
    `wl-${Object.values(matrix).join("-")}-${adapter}`,
    status,
    status === "not-supported" ? `${adapter}: push delivery is not supported` : null,
    status === "completed" ? v : null,
  );
  return { ...r, workload: { ...r.workload, name: "wl", matrix }, adapter: { ...r.adapter, name: adapter } };
}

describe("summary (default: 120 columns)", () => {
  it("names runs by what varies, shows duplicate processing beside duplicate delivery, collapses not-supported points", () => {
    const dup = verdict(0);
    const dupVerdict = {
      ...dup,
      counts: { ...dup.counts, "duplicate-delivery": 20, "duplicate-processing": 0 },
    };
    const text = renderSummary([
      point({ mode: "exactly-once", fault: "consumer-crash" }, "reference", "completed", dupVerdict),
      point({ mode: "exactly-once", fault: "consumer-crash" }, "redis-streams", "not-supported"),
      point({ mode: "at-most-once", fault: "consumer-crash" }, "redis-streams", "not-supported"),
    ]);
    const lines = text.split("\n");
    expect(lines[0]).toBe("wl: 3 runs");
    expect(lines[1]).toMatch(
      /^run\s+adapter\s+pub\/s\s+cons\/s\s+p50 ms\s+p99 ms\s+backlog\s+lost\s+dup d\/p\s+verdict$/,
    );
    expect(lines[3]).toMatch(/^exactly-once\s+reference\s+.*\s20\/0\s+valid$/);
    expect(lines).toHaveLength(9);
    expect(text).toContain("not supported (2 of 3 points; --wide lists them):");
    expect(text).toContain("  push delivery is not supported: redis-streams (every point)");
    expect(text).toContain("dup d/p: duplicate deliveries / duplicate processing");
  });

  it("fits 120 columns whatever the names, counts and reasons", () => {
    const name = fc.string({ unit: fc.constantFrom("a", "b", "-", "=", "x"), minLength: 1, maxLength: 90 });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            mode: name,
            fault: name,
            adapter: fc.constantFrom("reference", "redis-streams", "rabbitmq"),
            lost: fc.nat(10_000_000),
            supported: fc.boolean(),
          }),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        fc.string({ minLength: 0, maxLength: 400 }),
        (runs, reason) => {
          const results = runs.map((p) => {
            const r = point(
              { mode: p.mode, fault: p.fault },
              p.adapter,
              p.supported ? "completed" : "not-supported",
              verdict(p.lost),
            );
            return p.supported ? r : { ...r, reason: `${p.adapter}: ${reason}` };
          });
          for (const line of renderSummary(results).split("\n")) expect(line.length).toBeLessThanOrEqual(120);
        },
      ),
      { numRuns: 150 },
    );
  });
});
