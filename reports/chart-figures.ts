/**
 * Every run's headline figures side by side, one line per small multiple (its series as coloured
 * bars within it), so a suite of 60 runs reads as a table: throughput achieved (consumed per group
 * against published), end-to-end p50/p99/p99.9, backlog, messages lost and delivered twice, the
 * verdict. Values are written at the bars; a figure that is 0 in every run says so instead of
 * drawing an empty axis.
 */

import {
  asSpec,
  CONFIG,
  decades,
  logDomain,
  MS_LABEL_EXPR,
  SCHEMA,
  seriesColors,
  zeroDomain,
} from "./chart-style.js";
import type { ChartDef } from "./charts.js";
import { fmtCount, fmtMs, fmtRate, groupCount, type ReportRun } from "./figures.js";
import { type Layout, panelWords } from "./layout.js";

const BAR = 12;
const COLUMN_WIDTH = 170;

interface Row {
  readonly panel: string;
  readonly s: string;
  readonly run: string;
  readonly published: number;
  readonly consumed: number;
  readonly consumedText: string;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly p99Text: string;
  readonly backlog: number;
  readonly backlogText: string;
  readonly lost: number;
  readonly lostText: string;
  readonly dup: number;
  readonly dupText: string;
  readonly verdict: string;
}

function verdictWord(r: ReportRun): string {
  const res = r.result;
  if (res.status !== "completed") return res.status;
  if (!res.verdict) return "not checked";
  return res.verdict.valid ? "valid" : "INVALID";
}

export function figuresChart(
  runs: readonly ReportRun[],
  layout: Layout,
  label: (r: ReportRun) => string,
): ChartDef | null {
  if (runs.length < 2) return null;
  const rows: Row[] = runs.map((run) => {
    const r = run.result;
    const consumed = r.throughput.consumeMsgsPerSec / groupCount(r);
    const e = r.latency.endToEnd.corrected;
    const v = r.verdict;
    const dupD = v?.counts["duplicate-delivery"] ?? 0;
    const dupP = v?.counts["duplicate-processing"] ?? 0;
    return {
      panel: layout.panelOf(run),
      s: layout.seriesOf(run),
      run: label(run),
      published: r.throughput.publishMsgsPerSec,
      consumed,
      consumedText: fmtRate(consumed),
      p50: e.p50Ms,
      p99: e.p99Ms,
      p999: e.p999Ms,
      p99Text: e.count > 0 ? fmtMs(e.p99Ms) : "no deliveries",
      backlog: r.backlog.maxMsgs,
      backlogText: fmtCount(r.backlog.maxMsgs),
      lost: v?.counts.lost ?? 0,
      lostText: v ? fmtCount(v.counts.lost ?? 0) : "-",
      dup: dupD,
      dupText: v ? `${fmtCount(dupD)} / ${fmtCount(dupP)}` : "-",
      verdict: verdictWord(run),
    };
  });
  const perPanel = Math.max(1, ...layout.panels.map((p) => rows.filter((r) => r.panel === p).length));
  const height = layout.panels.length * (perPanel * BAR + 6);
  const colors = seriesColors(layout.series);
  const color = {
    field: "s",
    type: "nominal",
    title: layout.seriesTitle || null,
    scale: { domain: [...layout.series], range: colors },
    ...(layout.series.length > 1 ? {} : { legend: null }),
  };
  const y = (first: boolean) => ({
    field: "panel",
    type: "nominal",
    sort: [...layout.panels],
    scale: { paddingInner: 0.15 },
    axis: first
      ? { title: null, labelLimit: 0, labelFontSize: 11, labelColor: "#222", ticks: false, domain: false }
      : null,
  });
  const yOffset = { field: "s", type: "nominal", sort: [...layout.series] };
  const tooltip = [{ field: "run" }];
  /** Figures that are 0 in every run: said in the caption instead of an empty column. */
  const zeroEverywhere: string[] = [];

  const barColumn = (
    title: string,
    field: keyof Row,
    textField: keyof Row,
    first: boolean,
    opts: { fixedColor?: string; extra?: Record<string, unknown>[] } = {},
  ) => {
    const values = rows.map((r) => r[field] as number);
    if (!first && values.every((v) => v === 0)) {
      zeroEverywhere.push(title);
      return null;
    }
    return {
      width: COLUMN_WIDTH,
      height,
      title: { text: title, fontSize: 11, fontWeight: "normal" },
      layer: [
        {
          mark: { type: "bar", ...(opts.fixedColor ? { color: opts.fixedColor } : {}) },
          encoding: {
            y: y(first),
            yOffset,
            x: {
              field,
              type: "quantitative",
              scale: { domain: zeroDomain(values), nice: false },
              axis: { title: null, format: "~s", tickCount: 3, labelFontSize: 9 },
            },
            ...(opts.fixedColor ? {} : { color }),
            tooltip: [...tooltip, { field: textField, title }],
          },
        },
        ...(opts.extra ?? []).map((layer) => ({
          ...layer,
          encoding: { ...(layer.encoding as Record<string, unknown>), y: y(first) },
        })),
        {
          mark: { type: "text", align: "left", dx: 3, fontSize: 9, color: "#333" },
          encoding: {
            y: y(first),
            yOffset,
            x: { field, type: "quantitative" },
            text: { field: textField },
          },
        },
      ],
    };
  };

  const latencyValues = rows.flatMap((r) => [r.p50, r.p99, r.p999]).filter((v) => v > 0);
  const latencyDomain = logDomain(latencyValues);
  const latencyColumn = {
    width: COLUMN_WIDTH + 40,
    height,
    title: { text: "e2e latency: p50 ○ p99 ● p99.9 |", fontSize: 11, fontWeight: "normal" },
    transform: [{ filter: "datum.p99 > 0" }],
    layer: [
      {
        mark: { type: "rule", color: "#bbb" },
        encoding: {
          y: y(false),
          yOffset,
          x: {
            field: "p50",
            type: "quantitative",
            scale: { type: "log", domain: latencyDomain, nice: false },
          },
          x2: { field: "p999" },
        },
      },
      {
        mark: { type: "point", filled: false, size: 28 },
        encoding: {
          y: y(false),
          yOffset,
          x: { field: "p50", type: "quantitative" },
          color,
          tooltip: [...tooltip, { field: "p50", title: "p50 ms" }],
        },
      },
      {
        mark: { type: "point", filled: true, size: 36, opacity: 1 },
        encoding: {
          y: y(false),
          yOffset,
          x: {
            field: "p99",
            type: "quantitative",
            axis: {
              title: null,
              values: decades(...latencyDomain),
              labelExpr: MS_LABEL_EXPR,
              labelFontSize: 9,
            },
          },
          color,
          tooltip: [...tooltip, { field: "p99Text", title: "p99" }],
        },
      },
      {
        mark: { type: "tick", thickness: 2, size: BAR - 2 },
        encoding: { y: y(false), yOffset, x: { field: "p999", type: "quantitative" }, color },
      },
      {
        mark: { type: "text", align: "left", dx: 6, fontSize: 9, color: "#333" },
        encoding: {
          y: y(false),
          yOffset,
          x: { field: "p999", type: "quantitative" },
          text: { field: "p99Text" },
        },
      },
    ],
  };

  const verdictColors: [string, string][] = [
    ["datum.verdict === 'valid'", "#1b7f3b"],
    ["datum.verdict === 'INVALID'", "#b00020"],
    ["datum.verdict !== 'valid' && datum.verdict !== 'INVALID'", "#8a5a00"],
  ];
  const verdictColumn = {
    width: 90,
    height,
    title: { text: "verdict", fontSize: 11, fontWeight: "normal" },
    layer: verdictColors.map(([test, c]) => ({
      transform: [{ filter: test }],
      mark: { type: "text", align: "left", fontSize: 10, fontWeight: "bold", color: c },
      encoding: { y: y(false), yOffset, x: { value: 2 }, text: { field: "verdict" }, tooltip },
    })),
  };

  const spec = asSpec({
    $schema: SCHEMA,
    config: CONFIG,
    data: { values: rows },
    hconcat: [
      barColumn("consumed msg/s per group", "consumed", "consumedText", true, {
        extra: [
          {
            mark: { type: "tick", color: "#222", thickness: 2, size: BAR - 2 },
            encoding: {
              y: y(false),
              yOffset,
              x: { field: "published", type: "quantitative" },
              tooltip: [...tooltip, { field: "published", title: "published msg/s", format: ",.0f" }],
            },
          },
        ],
      }),
      latencyColumn,
      barColumn("max backlog (msgs)", "backlog", "backlogText", false),
      barColumn("lost", "lost", "lostText", false, { fixedColor: "#d62728" }),
      barColumn("delivered / processed twice", "dup", "dupText", false, { fixedColor: "#e8a33d" }),
      verdictColumn,
    ].filter((c) => c !== null),
    spacing: 36,
    resolve: { scale: { y: "shared", yOffset: "shared", color: "shared" } },
  });
  return {
    id: "figures",
    title: "Every run's figures",
    caption:
      `One line per ${panelWords(layout) || "run"}${layout.seriesTitle ? `, one bar per ${layout.seriesTitle}` : ""}. ` +
      "Throughput: consumed per consumer group (bar) against published (black tick). " +
      "Latency from the intended send time (corrected), log scale. " +
      "A lossy run's latency covers only what was delivered." +
      (zeroEverywhere.length > 0 ? ` 0 in every run, so not drawn: ${zeroEverywhere.join(", ")}.` : ""),
    spec,
  };
}
