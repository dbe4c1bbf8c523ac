/**
 * Export to OpenMessaging Benchmark's result JSON (its TestResult class), so OMB's chart scripts
 * and dashboards read our runs. OMB measures latency from the actual send, so the export carries
 * our *uncorrected* figures; OMB has no field for the corrected ones. Per-interval lists hold the
 * rates and backlog we sample every second, after warmup (OMB drops its warmup phase).
 * Not exported: per-interval latency percentiles (ours are corrected for coordinated omission,
 * OMB's are not, so the numbers would not mean the same), publishErrorRate per interval, and the
 * publishDelay* family: we do not measure them.
 */
import type { LatencyPercentiles, RunResult } from "../core/results.js";
import { rates } from "./figures.js";
import { quantileMap, valueAtPercentile } from "./percentiles.js";

/** What the export holds, said where its readers look: in each file, in the report, on the terminal. */
export const OMB_LATENCY_NOTE =
  "OMB export: latencies measured from the actual send (uncorrected for coordinated omission), as OMB measures them; " +
  "the report and the run summary show them from the intended send time (corrected), so the export's percentiles can be lower.";

export interface OmbResult {
  workload: string;
  driver: string;
  messageSize: number;
  topics: number;
  partitions: number;
  producersPerTopic: number;
  consumersPerTopic: number;
  publishRate: number[];
  consumeRate: number[];
  backlog: number[];
  /** Not an OMB field (OMB's readers ignore it): `OMB_LATENCY_NOTE`, for whoever opens the file. */
  latencyNote: string;
  [aggregated: string]: unknown;
}

/** The first of these workload parameters that is a number (ours, then OMB's spelling); 0 if none. */
function param(r: RunResult, names: readonly string[]): number {
  for (const n of names) {
    const v = r.workload.params[n];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return 0;
}

function aggregated(prefix: string, lat: LatencyPercentiles): Record<string, unknown> {
  return {
    [`${prefix}Avg`]: lat.meanMs,
    [`${prefix}50pct`]: lat.p50Ms,
    [`${prefix}75pct`]: lat.p75Ms,
    [`${prefix}95pct`]: lat.p95Ms,
    [`${prefix}99pct`]: lat.p99Ms,
    [`${prefix}999pct`]: lat.p999Ms,
    [`${prefix}9999pct`]: lat.p9999Ms,
    [`${prefix}99999pct`]: valueAtPercentile(lat, 99.999, lat.maxMs),
    [`${prefix}Max`]: lat.maxMs,
  };
}

export function toOmb(r: RunResult): OmbResult {
  const topics = param(r, ["topics"]);
  const measuredRates = rates(r).filter((p) => p.tS > r.warmupS);
  return {
    workload: r.runId,
    driver: r.adapter.name,
    messageSize: param(r, ["messageSize"]),
    topics,
    partitions: param(r, ["partitions", "partitionsPerTopic"]),
    producersPerTopic: param(r, ["producersPerTopic"]),
    // OMB: subscriptions per topic × consumers per subscription; ours: groups × consumers per group.
    consumersPerTopic:
      param(r, ["consumersPerTopic"]) ||
      param(r, ["groups", "subscriptionsPerTopic"]) *
        param(r, ["consumersPerGroup", "consumerPerSubscription"]),
    publishRate: measuredRates.map((p) => p.publishMsgsPerSec),
    consumeRate: measuredRates.map((p) => p.consumeMsgsPerSec),
    backlog: measuredRates.map((p) => p.backlogMsgs),
    latencyNote: OMB_LATENCY_NOTE,
    ...aggregated("aggregatedPublishLatency", r.latency.publish.uncorrected),
    aggregatedPublishLatencyQuantiles: quantileMap(r.latency.publish.uncorrected),
    ...aggregated("aggregatedEndToEndLatency", r.latency.endToEnd.uncorrected),
    aggregatedEndToEndLatencyQuantiles: quantileMap(r.latency.endToEnd.uncorrected),
  };
}
