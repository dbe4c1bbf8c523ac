/** Reports: HTML with charts, SVG/PNG, Markdown, run comparison and OpenMessaging Benchmark export. */
export { buildCharts, type ChartDef } from "./charts.js";
export {
  assertComparable,
  COMPARED_FIGURES,
  type Comparison,
  classify,
  compareSets,
  DEFAULT_ABS_TOLERANCE,
  DEFAULT_TOLERANCE,
  matchRuns,
  parseAbsTolerance,
  pointKey,
  type RatioRow,
  regressions,
  worseCount,
} from "./compare.js";
export { escapeHtml, escapeMarkdownCell } from "./escape.js";
export { caveats, keeping, type ReportRun } from "./figures.js";
export { comparisonHeadlines, type Headline, headlines, headlineText } from "./headlines.js";
export { reportHtml } from "./html.js";
export {
  findResultFiles,
  type LoadedRun,
  loadMergedSet,
  loadResultSet,
  loadResultSets,
  parseRunResult,
  RESULTS_FILE,
  type ResultSet,
} from "./load.js";
export { reportMarkdown } from "./markdown.js";
export { OMB_LATENCY_NOTE, type OmbResult, toOmb } from "./omb.js";
export { percentileDistribution, quantileMap } from "./percentiles.js";
export { pngFontsAvailable, renderPng, renderSvg } from "./render.js";
export {
  parseFormats,
  REPORT_FORMATS,
  type ReportFormat,
  type ReportOptions,
  type WrittenReport,
  writeReport,
  writeReports,
} from "./write.js";
