/**
 * Synthetic results with the runner's shapes (real HdrHistograms, one sample a second, verdicts
 * with witnesses), seeded so every call gives the same numbers. Input for the report's unit tests
 * and its rendering benchmark; the browser test reports a real run instead.
 */
import { build, encodeIntoCompressedBase64 } from "hdr-histogram-js";
import type { Verdict } from "../checkers/verdict.js";
import { ANOMALIES } from "../checkers/verdict.js";
import type { LatencyPair, LatencyPercentiles, RunResult, TimeSample } from "../core/results.js";

/** mulberry32: a small seeded generator, so fixtures are identical on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Latencies in µs: log-normal around `medianUs`, with a `spikeShare` of samples `spikeFactor` times slower. */
export function latencySamples(
  rnd: () => number,
  n: number,
  medianUs: number,
  spikeShare = 0.005,
  spikeFactor = 20,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u1 = Math.max(rnd(), 1e-12);
    const u2 = rnd();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    let v = medianUs * Math.exp(0.45 * z);
    if (rnd() < spikeShare) v *= spikeFactor * (1 + rnd());
    out.push(Math.max(1, Math.round(v)));
  }
  return out;
}

export function percentilesOf(samplesUs: readonly number[]): LatencyPercentiles {
  const h = build({ numberOfSignificantValueDigits: 3 });
  for (const v of samplesUs) h.recordValue(v);
  const ms = (p: number) => h.getValueAtPercentile(p) / 1000;
  const result: LatencyPercentiles = {
    count: h.totalCount,
    minMs: h.totalCount === 0 ? 0 : h.minNonZeroValue / 1000,
    meanMs: h.totalCount === 0 ? 0 : h.mean / 1000,
    p50Ms: ms(50),
    p75Ms: ms(75),
    p90Ms: ms(90),
    p95Ms: ms(95),
    p99Ms: ms(99),
    p999Ms: ms(99.9),
    p9999Ms: ms(99.99),
    maxMs: h.maxValue / 1000,
    histogram: encodeIntoCompressedBase64(h),
  };
  h.destroy();
  return result;
}

export function noVerdictCounts(): Record<(typeof ANOMALIES)[number], number> {
  return Object.fromEntries(ANOMALIES.map((a) => [a, 0])) as Record<(typeof ANOMALIES)[number], number>;
}

export interface FixtureOptions {
  readonly runId: string;
  readonly workload?: string;
  readonly adapter?: string;
  readonly matrix?: Record<string, unknown>;
  readonly seed?: number;
  /** Messages per second the producers were asked for. */
  readonly rateMsgsPerSec?: number;
  readonly durationS?: number;
  readonly medianE2eUs?: number;
  /** How much later than the send the schedule intended: the coordinated-omission gap. */
  readonly scheduleLagUs?: number;
  readonly lost?: number;
  /** Messages delivered twice (duplicate deliveries the checker counts). */
  readonly duplicated?: number;
  /** What the checker holds the run to (at-most-once allows loss: the verdict stays valid). */
  readonly delivery?: "at-most-once" | "at-least-once" | "exactly-once";
  /** Consumer groups reading the stream (pub-sub when > 1): consumption is counted per group. */
  readonly groups?: number;
  readonly faults?: RunResult["faults"];
  /** Messages left unconsumed per second from this second on (a consumer that falls behind). */
  readonly lagFromS?: number;
  readonly status?: RunResult["status"];
  readonly reason?: string;
}

/** One run's results.json as the runner writes it. */
export function runResult(o: FixtureOptions): RunResult {
  const rnd = seeded(o.seed ?? 1);
  const rate = o.rateMsgsPerSec ?? 2000;
  const durationS = o.durationS ?? 10;
  const warmupS = 2;
  const n = Math.min(20_000, rate * (durationS - warmupS));
  const e2e = latencySamples(rnd, n, o.medianE2eUs ?? 900);
  const publish = latencySamples(rnd, n, (o.medianE2eUs ?? 900) / 3);
  const lag = o.scheduleLagUs ?? 0;
  const pair = (s: number[]): LatencyPair => ({
    corrected: percentilesOf(lag === 0 ? s : s.map((v) => v + Math.round(lag * rnd() * rnd()))),
    uncorrected: percentilesOf(s),
  });
  const timeseries: TimeSample[] = [];
  const groups = o.groups ?? 1;
  let backlog = 0;
  for (let t = 1; t <= durationS; t++) {
    const published = Math.round(rate * (0.95 + 0.1 * rnd()));
    const lagging = o.lagFromS !== undefined && t >= o.lagFromS;
    const consumed = lagging
      ? Math.round(published * 0.5)
      : Math.max(0, Math.round(published * (t < durationS / 2 ? 0.97 : 1.02)));
    backlog = Math.max(0, backlog + published - consumed);
    const medianMs = (o.medianE2eUs ?? 900) / 1000;
    timeseries.push({
      tS: t,
      publishedMsgs: published,
      consumedMsgs: consumed * groups,
      backlogMsgs: backlog * groups,
      e2eP50Ms: medianMs * (0.9 + 0.2 * rnd()),
      e2eP99Ms: medianMs * (3 + rnd()),
      publishP99Ms: ((o.medianE2eUs ?? 900) / 3000) * (3 + rnd()),
    });
  }
  const sent = timeseries.reduce((s, x) => s + x.publishedMsgs, 0);
  const lost = o.lost ?? 0;
  const duplicated = o.duplicated ?? 0;
  const counts = { ...noVerdictCounts(), lost, "duplicate-delivery": duplicated };
  const delivery = o.delivery ?? "at-least-once";
  const forbidden: Verdict["forbidden"] =
    delivery === "at-most-once"
      ? ["duplicate-delivery", "unexpected", "inconsistent-offset", "key-order"]
      : ["lost", "unexpected", "inconsistent-offset", "key-order"];
  const verdict: Verdict = {
    valid: !forbidden.some((a) => counts[a] > 0),
    expect: { delivery, order: "partition" },
    forbidden,
    counts,
    messages: { attempted: sent, acknowledged: sent, failed: 0, unknown: 0 },
    groups: [
      {
        group: "g1",
        drained: true,
        delivered: sent - lost,
        recovered: 0,
        anomalies:
          lost === 0
            ? {}
            : {
                lost: {
                  count: lost,
                  witnesses: [
                    {
                      message: `message 1-42 acknowledged at offset 41 but never delivered to group g1`,
                      lines: [
                        { line: 87, text: '{"type":"ok","f":"send","process":1,"value":[{"id":"1-42"}]}' },
                      ],
                    },
                  ],
                },
              },
      },
    ],
    log: {},
    warnings: [],
    lines: sent * 2,
  };
  const status = o.status ?? "completed";
  return {
    format: 1,
    runId: o.runId,
    workload: {
      name: o.workload ?? "throughput",
      file: "workloads/throughput.yaml",
      matrix: o.matrix ?? {},
      params: {
        topics: 1,
        partitions: 4,
        producers: 1,
        consumers: 1,
        messageSize: 1024,
        rate,
        durationS,
        groups,
        messages: null,
      },
    },
    adapter: {
      name: o.adapter ?? "reference",
      settings: {},
      capabilities: {
        model: "log",
        push: true,
        pull: true,
        queue: true,
        pubsub: true,
        replay: true,
        partitions: true,
        deliveryModes: ["at-most-once", "at-least-once", "exactly-once"],
        ordering: "partition",
        idempotentProduce: true,
      },
    },
    environment: {
      brokerbench: "0.1.0",
      node: "v20.20.2",
      platform: "linux",
      arch: "x64",
      cpuModel: "Test CPU @ 2.0GHz",
      cpus: 2,
      memTotalMiB: 24000,
      hostname: "fixture",
      adapterVersions: { [o.adapter ?? "reference"]: "0.1.0" },
    },
    status,
    reason: o.reason ?? null,
    startedAt: new Date(Date.UTC(2026, 10, 24, 20, 0, o.seed ?? 1)).toISOString(),
    durationS,
    warmupS,
    counts: {
      sentMsgs: sent,
      ackedMsgs: sent,
      failedMsgs: 0,
      unknownMsgs: 0,
      deliveredMsgs: Object.fromEntries(
        Array.from({ length: groups }, (_, i) => [`g${i + 1}`, sent - lost + duplicated]),
      ),
    },
    throughput: {
      publishMsgsPerSec: sent / durationS,
      publishMBPerSec: (sent * 1024) / durationS / 1e6,
      consumeMsgsPerSec:
        (groups * (timeseries.reduce((n, x) => n + x.consumedMsgs / groups, 0) - lost)) / durationS,
      consumeMBPerSec: ((sent - lost) * groups * 1024) / durationS / 1e6,
    },
    latency: { publish: pair(publish), endToEnd: pair(e2e) },
    backlog: { maxMsgs: Math.max(...timeseries.map((s) => s.backlogMsgs)), finalMsgs: backlog },
    timeseries,
    faults: o.faults ?? [],
    verdict: status === "completed" ? verdict : null,
    history: status === "completed" ? "history.jsonl" : null,
  };
}

/** A 2 × 2 matrix (delivery × partitions) plus a rate sweep: the shapes a report must draw. */
export function matrixResults(): RunResult[] {
  const out: RunResult[] = [];
  let seed = 1;
  for (const delivery of ["push", "pull"]) {
    for (const partitions of [1, 4]) {
      out.push(
        runResult({
          runId: `throughput-delivery=${delivery}-partitions=${partitions}`,
          matrix: { delivery, partitions },
          seed: seed++,
          medianE2eUs: delivery === "push" ? 700 : 1500,
          rateMsgsPerSec: 1500 * partitions,
        }),
      );
    }
  }
  return out;
}

/**
 * A 12-run matrix, delivery × rate × adapter, `durationS` one-second samples each: the rendering
 * benchmark's input (the report of a typical comparison session).
 */
export function twelveRunMatrix(durationS = 60): RunResult[] {
  const out: RunResult[] = [];
  let seed = 100;
  for (const adapter of ["reference", "nats"]) {
    for (const delivery of ["push", "pull"]) {
      for (const rate of [1000, 5000, 20000]) {
        out.push(
          runResult({
            runId: `matrix-delivery=${delivery}-rate=${rate}-${adapter}`,
            workload: "matrix",
            adapter,
            matrix: { delivery, rate },
            seed: seed++,
            rateMsgsPerSec: rate,
            durationS,
            medianE2eUs:
              (delivery === "push" ? 600 : 1400) * (adapter === "nats" ? 0.8 : 1) * (1 + rate / 20000),
            scheduleLagUs: rate >= 20000 ? 5000 : 0,
          }),
        );
      }
    }
  }
  return out;
}
