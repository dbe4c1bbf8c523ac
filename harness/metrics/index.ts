export { newHistogram, percentiles, toMicros } from "./latency.js";
export { type MetricsSummary, RunMetrics } from "./run-metrics.js";
