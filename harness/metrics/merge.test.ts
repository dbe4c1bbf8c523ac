import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RunMetrics } from "./run-metrics.js";

/** A batch as a process records it: acknowledged, then delivered to one group. */
interface Batch {
  readonly worker: number;
  readonly count: number;
  readonly intendedMs: number;
  readonly ackDelayMs: number;
  readonly e2eDelayMs: number;
  readonly group: number;
}

const START = 5_000_000;
const groups = ["g1", "g2"];
const options = { startMs: START, warmupS: 1, messageBytes: 100, groups };

/** Records the batches' acknowledgements and deliveries in time order, as they happen in a process. */
function record(m: RunMetrics, batches: readonly Batch[], seq: { next: number }): void {
  const events: { atMs: number; apply: () => void }[] = [];
  for (const b of batches) {
    const procs = Array.from({ length: b.count }, () => b.worker + 1);
    const seqs = Array.from({ length: b.count }, () => seq.next++);
    const ackMs = b.intendedMs + b.ackDelayMs;
    const receiveMs = b.intendedMs + b.e2eDelayMs;
    events.push({
      atMs: ackMs,
      apply: () => {
        m.onSending(b.count);
        m.onAcked(b.count, b.intendedMs, b.intendedMs, ackMs);
      },
    });
    events.push({
      atMs: receiveMs,
      apply: () => {
        m.onDelivered(b.group, b.count, receiveMs, procs, seqs);
        m.onEndToEnd(b.count, b.intendedMs, b.intendedMs, receiveMs);
      },
    });
  }
  for (const e of events.sort((x, y) => x.atMs - y.atMs)) e.apply();
}

const batch = fc.record({
  worker: fc.integer({ min: 0, max: 2 }),
  count: fc.integer({ min: 1, max: 50 }),
  intendedMs: fc.integer({ min: START, max: START + 4000 }),
  ackDelayMs: fc.double({ min: 0.01, max: 500, noNaN: true }),
  e2eDelayMs: fc.double({ min: 0.01, max: 500, noNaN: true }),
  group: fc.integer({ min: 0, max: 1 }),
});

describe("RunMetrics.merged", () => {
  it("gives the figures one process would have measured over every worker's messages", () => {
    fc.assert(
      fc.property(fc.array(batch, { minLength: 1, maxLength: 40 }), (batches) => {
        const sorted = [...batches].sort((a, b) => a.intendedMs - b.intendedMs);
        const whole = new RunMetrics(options);
        const seq = { next: 0 };
        record(whole, sorted, seq);
        const parts = [0, 1, 2].map((k) => {
          const m = new RunMetrics({ ...options, keepIntervals: true });
          const own = { next: 0 };
          // The same messages, ids as the single process numbered them.
          record(
            m,
            sorted.filter((b) => b.worker === k),
            own,
          );
          m.sample(START + 10_000);
          return m.export();
        });
        whole.sample(START + 10_000);
        const a = RunMetrics.merged(parts, options).summary();
        const b = whole.summary();
        // HdrHistograms added, not averaged: the same buckets, so every percentile agrees within one
        // bucket's width (3 significant digits: the merged max is its bucket's top, one process's
        // the recorded value).
        for (const kind of ["publish", "endToEnd"] as const)
          for (const clock of ["corrected", "uncorrected"] as const) {
            const x = a.latency[kind][clock];
            const y = b.latency[kind][clock];
            expect(x.count).toBe(y.count);
            for (const f of ["minMs", "p50Ms", "p75Ms", "p90Ms", "p99Ms", "p999Ms", "maxMs"] as const)
              expect(Math.abs(x[f] - y[f])).toBeLessThanOrEqual(Math.max(0.001, y[f] * 0.001));
          }
        expect(a.throughput).toEqual(b.throughput);
        expect([a.sentMsgs, a.ackedMsgs, a.deliveredMsgs]).toEqual([
          b.sentMsgs,
          b.ackedMsgs,
          b.deliveredMsgs,
        ]);
        // A second's messages depend on when each process closed it; their totals cannot.
        const total = (s: typeof a) =>
          s.timeseries.reduce((t, x) => [t[0]! + x.publishedMsgs, t[1]! + x.consumedMsgs], [0, 0]);
        expect(total(a)).toEqual(total(b));
      }),
      { numRuns: 60 },
    );
  });

  it("merges each second's histograms: the second's p99 over both workers' messages", () => {
    const parts = [10, 30].map((e2eMs, k) => {
      const m = new RunMetrics({ ...options, keepIntervals: true });
      record(
        m,
        [
          {
            worker: k,
            count: 99 + k * 2,
            intendedMs: START + 1200,
            ackDelayMs: 1,
            e2eDelayMs: e2eMs,
            group: 0,
          },
        ],
        {
          next: 0,
        },
      );
      m.sample(START + 3000);
      return m.export();
    });
    const s = RunMetrics.merged(parts, options).summary();
    // 99 messages at 10 ms and 101 at 30 ms: the second's p50 and p99 are 30 ms, its counts the sums.
    expect(s.timeseries.map((t) => [t.tS, t.publishedMsgs, t.consumedMsgs, t.e2eP50Ms, t.e2eP99Ms])).toEqual([
      [1, 0, 0, null, null],
      [2, 200, 200, 30.015, 30.015],
      [3, 0, 0, null, null],
    ]);
    expect(s.backlog).toEqual({ maxMsgs: 200, finalMsgs: 200 });
  });

  it("reports the most warmup delay any worker dropped (0 from a worker that does not say)", () => {
    const exports = [12.5, 0, 80.25].map((ms) => {
      const m = new RunMetrics(options);
      if (ms > 0) m.onWarmupDelayDropped(ms);
      return m.export();
    });
    const { warmupDelayDroppedMs: _, ...older } = exports[1]!;
    expect(RunMetrics.merged([exports[0]!, older, exports[2]!], options).summary().warmupDelayDroppedMs).toBe(
      80.25,
    );
    expect(RunMetrics.merged([older], options).summary().warmupDelayDroppedMs).toBe(0);
  });
});
