export { newHistogram, percentiles, toMicros } from "./latency.js";
export { type MetricsExport, type MetricsSummary, RunMetrics } from "./run-metrics.js";
