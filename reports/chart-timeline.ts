/**
 * The run over time, one row of three panels per small multiple: throughput (published, consumed
 * per group, the offered rate), backlog, and end-to-end latency p50/p99 of each second (corrected,
 * log scale), all on one time axis with the warmup and every injected fault drawn as bands, so a
 * reader sees *when* the tail blew up: during the stall, after the crash, while catching up.
 */

import {
  asSpec,
  CONFIG,
  decades,
  FAULT_COLOR,
  logDomain,
  MS_LABEL_EXPR,
  SCHEMA,
  seriesColors,
  spreadLabels,
  WARMUP_COLOR,
  zeroDomain,
} from "./chart-style.js";
import type { ChartDef } from "./charts.js";
import {
  acknowledged,
  fmtCount,
  fmtSpan,
  groupCount,
  LOSS_WORTH_SAYING,
  offeredRate,
  producingEndS,
  type ReportRun,
  rates,
} from "./figures.js";
import { type Layout, panelWords } from "./layout.js";

const WIDTH = 250;
const HEIGHT = 80;
/** Room for every y axis, so panels line up from row to row. */
const Y_AXIS_EXTENT = 58;
/** Pixels between two direct labels. */
const LABEL_GAP = 11;

type Measure = "published" | "consumed per group" | "backlog" | "p50" | "p99";

interface Sample {
  readonly p: number;
  readonly s: string;
  readonly m: Measure;
  readonly t: number;
  readonly v: number;
  /** Line segment: a run's measure, broken where a second had no value. */
  readonly g: string;
}

interface Band {
  readonly p: number;
  readonly kind: "warmup" | "fault";
  readonly from: number;
  readonly to: number;
  readonly label: string;
  /** Fault bands: pixels from the panel's top to its label, so labels of close faults do not overprint. */
  labelY?: number;
}

interface Rule {
  readonly p: number;
  readonly kind: "offered" | "end";
  readonly v: number;
  readonly label: string;
}

interface Label {
  readonly p: number;
  readonly view: "backlog" | "latency";
  readonly s: string;
  readonly t: number;
  readonly v: number;
  readonly text: string;
}

/** Each interval drawn flat over the second it covers (a step), split where a value is missing. */
function stepSamples(
  p: number,
  s: string,
  key: string,
  m: Measure,
  points: [number, number, number | null][],
) {
  const out: Sample[] = [];
  let seg = 0;
  for (const [from, to, v] of points) {
    if (v === null || !Number.isFinite(v) || (v <= 0 && (m === "p50" || m === "p99"))) {
      seg++;
      continue;
    }
    out.push(
      { p, s, m, t: from, v, g: `${key}:${m}:${seg}` },
      { p, s, m, t: to, v, g: `${key}:${m}:${seg}` },
    );
  }
  return out;
}

function bandsOf(p: number, members: readonly ReportRun[]): Band[] {
  const out: Band[] = [];
  const seen = new Set<string>();
  for (const { result: r } of members) {
    if (r.warmupS > 0 && !seen.has("warmup")) {
      seen.add("warmup");
      out.push({ p, kind: "warmup", from: 0, to: r.warmupS, label: "warmup" });
    }
    for (const f of r.faults ?? []) {
      const key = `${f.kind}|${f.target}|${Math.round(f.startS)}|${Math.round(f.endS)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ p, kind: "fault", from: f.startS, to: f.endS, label: f.kind });
    }
  }
  return out;
}

function rulesOf(p: number, members: readonly ReportRun[]): Rule[] {
  const out: Rule[] = [];
  const offered = new Set(members.map((m) => offeredRate(m.result)));
  const [only] = [...offered];
  if (offered.size === 1 && only !== null && only !== undefined)
    out.push({ p, kind: "offered", v: only, label: "offered" });
  const ends = new Set(members.map((m) => producingEndS(m.result)));
  const [end] = [...ends];
  if (ends.size === 1 && end !== null && end !== undefined)
    out.push({ p, kind: "end", v: end, label: "producing ends" });
  return out;
}

/** Points a 9 px label character takes on the time axis, as a share of the panel's width. */
const LABEL_CHAR_SHARE = 5.2 / WIDTH;
const LABEL_LINE_PX = 10;

/**
 * Gives each fault band of a panel the first text line on which its label does not run into an
 * earlier one (a label is as long as its text on a panel spanning `maxT` seconds).
 */
function stackFaultLabels(bands: Band[], maxT: number): void {
  const byPanel = new Map<number, Band[]>();
  for (const b of bands) if (b.kind === "fault") byPanel.set(b.p, [...(byPanel.get(b.p) ?? []), b]);
  for (const faults of byPanel.values()) {
    const lineEnds: number[] = [];
    for (const b of [...faults].sort((a, c) => a.from - c.from)) {
      let row = lineEnds.findIndex((end) => end <= b.from);
      if (row < 0) row = lineEnds.length;
      lineEnds[row] = b.from + (b.label.length + 1) * LABEL_CHAR_SHARE * maxT;
      b.labelY = row * LABEL_LINE_PX;
    }
  }
}

export function timelineChart(runs: readonly ReportRun[], layout: Layout): ChartDef | null {
  const samples: Sample[] = [];
  const bands: Band[] = [];
  const rules: Rule[] = [];
  const labels: Label[] = [];
  let maxT = 0;
  const panels = layout.panels;
  const showLabels = layout.series.length > 1;
  /** Lost messages stay in the runner's backlog (acknowledged, never consumed): said at the line's end. */
  const lostText = new Map<string, string>();
  runs.forEach((run, i) => {
    const p = panels.indexOf(layout.panelOf(run));
    const s = layout.seriesOf(run);
    const groups = groupCount(run.result);
    const points = rates(run.result);
    const lost = run.result.verdict?.counts.lost ?? 0;
    if (lost > LOSS_WORTH_SAYING * acknowledged(run.result))
      lostText.set(`${p}|${s}`, `lost ${fmtCount(lost)}`);
    for (const x of points) maxT = Math.max(maxT, x.tS);
    const series = (m: Measure, f: (x: (typeof points)[number]) => number | null) =>
      stepSamples(
        p,
        s,
        String(i),
        m,
        points.map((x) => [x.fromS, x.tS, f(x)]),
      );
    samples.push(
      ...series("published", (x) => x.publishMsgsPerSec),
      ...series("consumed per group", (x) => x.consumeMsgsPerSec / groups),
      ...series("backlog", (x) => x.backlogMsgs),
      ...series("p50", (x) => x.e2eP50Ms),
      ...series("p99", (x) => x.e2eP99Ms),
    );
  });
  if (samples.length === 0) return null;
  panels.forEach((_, p) => {
    const members = runs.filter((r) => layout.panelOf(r) === panels[p]);
    bands.push(...bandsOf(p, members));
    rules.push(...rulesOf(p, members));
  });
  for (const r of rules) if (r.kind === "end") maxT = Math.max(maxT, r.v);
  for (const b of bands) maxT = Math.max(maxT, b.to);
  stackFaultLabels(bands, maxT);

  const rateDomain = zeroDomain([
    ...samples.filter((x) => x.m === "published" || x.m === "consumed per group").map((x) => x.v),
    ...rules.filter((r) => r.kind === "offered").map((r) => r.v),
  ]);
  const backlogDomain = zeroDomain(samples.filter((x) => x.m === "backlog").map((x) => x.v));
  const latencyDomain = logDomain(samples.filter((x) => x.m === "p50" || x.m === "p99").map((x) => x.v));

  // Direct labels at each line's end, moved apart where they would overlap; a panel of one run
  // gets one only to say what it lost.
  {
    const pixel = {
      backlog: (v: number) => HEIGHT * (1 - v / backlogDomain[1]),
      latency: (v: number) =>
        HEIGHT *
        (1 -
          (Math.log10(v) - Math.log10(latencyDomain[0])) /
            (Math.log10(latencyDomain[1]) - Math.log10(latencyDomain[0]))),
    };
    const value = {
      backlog: (px: number) => backlogDomain[1] * (1 - px / HEIGHT),
      latency: (px: number) =>
        10 **
        (Math.log10(latencyDomain[0]) +
          (1 - px / HEIGHT) * (Math.log10(latencyDomain[1]) - Math.log10(latencyDomain[0]))),
    };
    panels.forEach((_, p) => {
      for (const [view, m] of [
        ["backlog", "backlog"],
        ["latency", "p99"],
      ] as const) {
        const ends = new Map<string, Sample>();
        for (const x of samples) if (x.p === p && x.m === m) ends.set(x.s, x);
        const textOf = (x: Sample) => {
          const lostNote = view === "backlog" ? lostText.get(`${p}|${x.s}`) : undefined;
          return [showLabels ? x.s : "", lostNote ?? ""].filter((t) => t !== "").join(": ");
        };
        const last = [...ends.values()].filter((x) => textOf(x) !== "");
        const placed = spreadLabels(
          last.map((x) => pixel[view](x.v)),
          LABEL_GAP,
          HEIGHT,
        );
        last.forEach((x, k) => {
          labels.push({ p, view, s: x.s, t: x.t, v: value[view](placed[k] as number), text: textOf(x) });
        });
      }
    });
  }

  const colors = seriesColors(layout.series);
  const color = {
    field: "s",
    type: "nominal",
    title: layout.seriesTitle || null,
    scale: { domain: [...layout.series], range: colors },
    ...(showLabels ? {} : { legend: null }),
  };
  const dash = {
    field: "m",
    type: "nominal",
    title: "line",
    scale: {
      domain: ["published", "consumed per group", "p99", "p50"],
      range: [
        [1, 0],
        [5, 3],
        [1, 0],
        [2, 2],
      ],
    },
  };
  const x = (last: boolean) => ({
    field: "t",
    type: "quantitative",
    scale: { domain: [0, Math.ceil(maxT)], nice: false },
    axis: { title: last ? "seconds since start" : null, tickMinStep: 1, format: "d", labelFontSize: 9 },
  });
  // Each panel reads its own small datasets (named by view and panel), so no mark filters the
  // whole suite's samples: with one shared dataset, rendering cost grew with panels × samples.
  const datasets: Record<string, unknown[]> = {};
  const own = (kind: string, p: number, rows: readonly { p: number }[]) => {
    const name = `${kind}${p}`;
    datasets[name] ??= rows.filter((x) => x.p === p);
    return { name };
  };
  const VIEW_MEASURES: Record<string, readonly Measure[]> = {
    throughput: ["published", "consumed per group"],
    latency: ["p50", "p99"],
    backlog: ["backlog"],
  };
  const viewSamples = (view: string, p: number) => {
    const name = `${view}${p}`;
    const measures = VIEW_MEASURES[view] ?? [];
    datasets[name] ??= samples.filter((x) => x.p === p && measures.includes(x.m));
    return { name };
  };
  const only = (test: string) => ({ filter: test });

  const bandLayers = (p: number, withLabels: boolean, last: boolean) => [
    ...(["warmup", "fault"] as const).map((kind) => ({
      data: own("bands", p, bands),
      transform: [only(`datum.kind === '${kind}'`)],
      mark: {
        type: "rect",
        opacity: kind === "fault" ? 0.14 : 0.12,
        color: kind === "fault" ? FAULT_COLOR : WARMUP_COLOR,
      },
      encoding: {
        x: { ...x(last), field: "from" },
        x2: { field: "to" },
        tooltip: [{ field: "label" }, { field: "from", title: "from (s)" }, { field: "to", title: "to (s)" }],
      },
    })),
    ...(withLabels
      ? [
          {
            data: own("bands", p, bands),
            transform: [only("datum.kind === 'fault'")],
            mark: { type: "text", align: "left", baseline: "top", dx: 2, dy: 1, fontSize: 9, color: "#a11" },
            encoding: {
              x: { field: "from", type: "quantitative" },
              y: { field: "labelY", type: "quantitative", scale: null },
              text: { field: "label" },
            },
          },
        ]
      : []),
    {
      data: own("rules", p, rules),
      transform: [only("datum.kind === 'end'")],
      mark: { type: "rule", color: "#777", strokeDash: [1, 2] },
      encoding: { x: { field: "v", type: "quantitative" } },
    },
  ];

  const labelLayer = (p: number, view: "backlog" | "latency") =>
    labels.some((l) => l.p === p && l.view === view)
      ? [
          {
            data: own("labels", p, labels),
            transform: [only(`datum.view === '${view}'`)],
            mark: {
              type: "text",
              align: "left",
              baseline: "middle",
              dx: 4,
              fontSize: 10,
              fontWeight: "bold",
            },
            encoding: {
              x: { field: "t", type: "quantitative" },
              y: { field: "v", type: "quantitative" },
              text: { field: "text" },
              color,
            },
          },
        ]
      : [];

  const line = (
    p: number,
    view: "throughput" | "latency" | "backlog",
    y: Record<string, unknown>,
    last: boolean,
  ) => ({
    data: viewSamples(view, p),
    mark: { type: "line", strokeWidth: 1.5, clip: true },
    encoding: {
      x: x(last),
      y,
      color,
      strokeDash: dash,
      detail: { field: "g" },
      tooltip: [
        { field: "s", title: layout.seriesTitle || "run" },
        { field: "m", title: "measure" },
        { field: "t", title: "s" },
        { field: "v", title: "value", format: ",.3~f" },
      ],
    },
  });

  const rows = panels.map((panel, p) => {
    const last = p === panels.length - 1;
    const first = p === 0;
    const throughput = {
      width: WIDTH,
      height: HEIGHT,
      ...(first ? { title: { text: "throughput (msg/s)", fontSize: 11, fontWeight: "normal" } } : {}),
      layer: [
        ...bandLayers(p, true, last),
        {
          data: own("rules", p, rules),
          transform: [only("datum.kind === 'offered'")],
          mark: { type: "rule", color: "#555", strokeDash: [3, 3], opacity: 0.7 },
          encoding: { y: { field: "v", type: "quantitative" } },
        },
        line(
          p,
          "throughput",
          {
            field: "v",
            type: "quantitative",
            scale: { domain: rateDomain, nice: false },
            axis: {
              title: "msg/s",
              format: "~s",
              tickCount: 3,
              minExtent: Y_AXIS_EXTENT - 16,
              maxExtent: Y_AXIS_EXTENT - 16,
            },
          },
          last,
        ),
      ],
    };
    const backlog = {
      width: WIDTH,
      height: HEIGHT,
      ...(first ? { title: { text: "backlog (messages)", fontSize: 11, fontWeight: "normal" } } : {}),
      layer: [
        ...bandLayers(p, false, last),
        line(
          p,
          "backlog",
          {
            field: "v",
            type: "quantitative",
            scale: { domain: backlogDomain, nice: false },
            axis: {
              title: "msgs",
              format: "~s",
              tickCount: 3,
              tickMinStep: 1,
              minExtent: Y_AXIS_EXTENT - 16,
              maxExtent: Y_AXIS_EXTENT - 16,
            },
          },
          last,
        ),
        ...labelLayer(p, "backlog"),
      ],
    };
    const latency = {
      width: WIDTH,
      height: HEIGHT,
      ...(first
        ? {
            title: {
              text: "end-to-end latency per second (p99 solid, p50 dotted)",
              fontSize: 11,
              fontWeight: "normal",
            },
          }
        : {}),
      layer: [
        ...bandLayers(p, false, last),
        line(
          p,
          "latency",
          {
            field: "v",
            type: "quantitative",
            scale: { type: "log", domain: latencyDomain, nice: false },
            axis: {
              title: "latency",
              values: decades(...latencyDomain),
              labelExpr: MS_LABEL_EXPR,
              minExtent: Y_AXIS_EXTENT - 16,
              maxExtent: Y_AXIS_EXTENT - 16,
            },
          },
          last,
        ),
        ...labelLayer(p, "latency"),
      ],
    };
    return {
      title: { text: panel, fontSize: 12, anchor: "start", offset: 2 },
      hconcat: [throughput, latency, backlog],
      // Laid out by plot areas (flush), so every row lines up whatever its labels: the gap holds the
      // direct labels of the panel on the left and the axis of the panel on the right.
      bounds: "flush",
      spacing:
        Y_AXIS_EXTENT +
        14 +
        6.5 * Math.max(4, ...labels.filter((l) => l.view === "latency").map((l) => l.text.length)),
    };
  });

  const spec = asSpec({
    $schema: SCHEMA,
    config: CONFIG,
    datasets,
    vconcat: rows,
    spacing: 14,
    resolve: {
      scale: { color: "shared", strokeDash: "shared" },
      legend: { color: "shared", strokeDash: "shared" },
    },
  });
  const faultKinds = [...new Set(bands.filter((b) => b.kind === "fault").map((b) => b.label))];
  const faultText = faultKinds.length === 0 ? "" : ` Red bands: injected faults (${bandsSummary(bands)}).`;
  return {
    id: "timeline",
    title: "Over time: throughput, latency and backlog",
    caption:
      `One row per ${panelWords(layout) || "run"}${layout.seriesTitle ? `, one colour per ${layout.seriesTitle}` : ""}. ` +
      "Throughput: published (solid) and consumed per group (dashed) msg/s, the offered rate as a grey dashed line. " +
      "Latency: each second's end-to-end p99 and p50 of the messages received in it, from the intended send time (corrected for coordinated omission), log scale. " +
      `Grey band: warmup; dotted line: producing ends.${faultText}`,
    spec,
  };
}

function bandsSummary(bands: readonly Band[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const b of bands) {
    if (b.kind !== "fault") continue;
    const text = `${b.label} ${fmtSpan(b.from, b.to)}`;
    if (seen.has(text)) continue;
    seen.add(text);
    parts.push(text);
  }
  return parts.slice(0, 6).join(", ") + (parts.length > 6 ? ", …" : "");
}
