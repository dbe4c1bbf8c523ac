/**
 * Small multiples for suites of any size: which parameters become panels and which become the
 * coloured series inside a panel. A panel holds at most `MAX_SERIES` runs, so its lines stay
 * distinguishable and can be labelled directly; runs whose injected faults differ never share a
 * panel (one panel, one set of fault bands). Adapters are panels before they are colours: "how did
 * each broker do" is read panel by panel, the matrix inside it. When comparing result sets, the set
 * is the series (old and new in one panel).
 */
import { dimensions, namedValue, type ReportRun, variedDimensions } from "./figures.js";

/** Runs drawn in one panel at most: with p50 and p99 per run that is 8 lines. */
export const MAX_SERIES = 4;

/** The dimension standing for the result set when several are reported. */
export const SET_DIMENSION = "set";

export interface Layout {
  /** Dimensions that make panels (their values name the panel). */
  readonly panelDims: readonly string[];
  /** Dimensions that make the series inside a panel (their values name the line). */
  readonly seriesDims: readonly string[];
  /** Panel names in run order. */
  readonly panels: readonly string[];
  /** Series names in run order; one colour each, the same in every panel and chart. */
  readonly series: readonly string[];
  readonly panelOf: (r: ReportRun) => string;
  readonly seriesOf: (r: ReportRun) => string;
  /** What the series stand for, for a legend title (`delivery`, `set`); "" when one run a panel. */
  readonly seriesTitle: string;
  /** Runs in panel order, then series order (runs outside the layout last, in their order). */
  readonly sort: (runs: readonly ReportRun[]) => ReportRun[];
}

function sorter(
  panels: readonly string[],
  series: readonly string[],
  panelOf: (r: ReportRun) => string,
  seriesOf: (r: ReportRun) => string,
) {
  const at = (xs: readonly string[], x: string) => {
    const i = xs.indexOf(x);
    return i === -1 ? xs.length : i;
  };
  return (runs: readonly ReportRun[]) =>
    runs
      .map((r, i) => ({ r, key: [at(panels, panelOf(r)), at(series, seriesOf(r)), i] }))
      .sort((a, b) => compareRanks(a.key, b.key))
      .map((x) => x.r);
}

function dims(r: ReportRun, multiSet: boolean): Map<string, string> {
  const d = dimensions(r.result);
  if (multiSet) d.set(SET_DIMENSION, r.set);
  return d;
}

/** `jetstream · ack-loss`: adapter and workload first, then the others as a reader names them. */
function panelName(r: ReportRun, keys: readonly string[]): string {
  const named = ["workload", "adapter"].filter((k) => keys.includes(k));
  const rest = keys.filter((k) => k !== "workload" && k !== "adapter");
  return (
    [...named, ...rest].map((k) => (k === SET_DIMENSION ? r.set : namedValue(r.result, k))).join(" · ") ||
    "all runs"
  );
}

/** A series is named by its values alone: the legend title says what they are. */
function seriesName(r: ReportRun, keys: readonly string[]): string {
  return keys.map((k) => (k === SET_DIMENSION ? r.set : (dimensions(r.result).get(k) ?? "-"))).join(", ");
}

/** Which faults a run had (their times may differ a little: a broker takes its own time to restart). */
function faultSignature(r: ReportRun): string {
  return JSON.stringify([...new Set((r.result.faults ?? []).map((f) => `${f.kind} ${f.target}`))].sort());
}

function subsets<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [[]];
  for (const x of xs) for (const s of [...out]) out.push([...s, x]);
  return out;
}

interface Candidate {
  readonly seriesDims: string[];
  readonly panelDims: string[];
  readonly largestPanel: number;
  readonly panelCount: number;
}

function evaluate(runs: readonly ReportRun[], all: readonly string[], seriesDims: string[]) {
  const panelDims = all.filter((k) => !seriesDims.includes(k));
  const panels = new Map<string, ReportRun[]>();
  for (const r of runs) {
    const key = panelName(r, panelDims);
    panels.set(key, [...(panels.get(key) ?? []), r]);
  }
  let largestPanel = 0;
  for (const members of panels.values()) {
    if (new Set(members.map(faultSignature)).size > 1) return null;
    largestPanel = Math.max(largestPanel, members.length);
  }
  if (largestPanel > MAX_SERIES) return null;
  return { seriesDims, panelDims, largestPanel, panelCount: panels.size };
}

/** Lower is better: the set as series when comparing, adapters as panels, full panels, few dimensions. */
function rank(c: Candidate, multiSet: boolean): number[] {
  // Comparing: old and new of one point side by side in each panel, nothing else mixed in.
  const setRank = !multiSet
    ? 0
    : c.seriesDims.length === 1 && c.seriesDims[0] === SET_DIMENSION
      ? 0
      : c.seriesDims.includes(SET_DIMENSION)
        ? 1
        : 2;
  return [
    setRank,
    c.seriesDims.includes("adapter") ? 1 : 0,
    -c.largestPanel,
    c.panelCount,
    c.seriesDims.length,
  ];
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function chooseLayout(runs: readonly ReportRun[]): Layout {
  const multiSet = new Set(runs.map((r) => r.set)).size > 1;
  const all = [...(multiSet ? [SET_DIMENSION] : []), ...variedDimensions(runs)];
  let best: Candidate | null = null;
  // Few dimensions vary in practice (≤ 4): every subset is cheap to try.
  for (const seriesDims of subsets(all)) {
    if (seriesDims.length === 0) continue;
    const c = evaluate(runs, all, seriesDims);
    if (c && (best === null || compareRanks(rank(c, multiSet), rank(best, multiSet)) < 0)) best = c;
  }
  // Nothing fits: one run a panel. Panel dimensions read adapter first.
  const found: Candidate = best ?? {
    seriesDims: [],
    panelDims: all,
    largestPanel: 1,
    panelCount: runs.length,
  };
  const chosen: Candidate = {
    ...found,
    panelDims: [...found.panelDims].sort((a, b) => Number(b === "adapter") - Number(a === "adapter")),
  };
  const byValues = (r: ReportRun) => panelName(r, chosen.panelDims);
  const seriesOf = (r: ReportRun) => seriesName(r, chosen.seriesDims);
  // Runs the values cannot tell apart (one workload run twice): one panel each, named by run id.
  const seen = new Set(runs.map((r) => `${byValues(r)}\u0000${seriesOf(r)}`));
  const byId = seen.size < runs.length || (chosen.panelDims.length === 0 && chosen.seriesDims.length === 0);
  const panelOf = (r: ReportRun) =>
    byId ? (multiSet ? `${r.set}: ${r.result.runId}` : r.result.runId) : byValues(r);
  if (byId) {
    const panels = unique(runs.map(panelOf));
    return {
      panelDims: [],
      seriesDims: [],
      panels,
      series: [""],
      panelOf,
      seriesOf: () => "",
      seriesTitle: "",
      sort: sorter(panels, [""], panelOf, () => ""),
    };
  }
  // Panels grouped by adapter, then by the matrix in its own order (runs come matrix point first).
  const sortDims = [...chosen.panelDims].sort((a, b) => Number(b === "adapter") - Number(a === "adapter"));
  const valueOrder = new Map(
    sortDims.map((k) => [k, unique(runs.map((r) => dims(r, multiSet).get(k) ?? ""))] as const),
  );
  const sortKey = (r: ReportRun) =>
    sortDims.map((k) => valueOrder.get(k)?.indexOf(dims(r, multiSet).get(k) ?? "") ?? 0);
  const ordered = [...runs].sort((a, b) => compareRanks(sortKey(a), sortKey(b)));
  const panels = unique(ordered.map(panelOf));
  const series = unique(runs.map(seriesOf));
  return {
    panelDims: chosen.panelDims,
    seriesDims: chosen.seriesDims,
    panels,
    series,
    panelOf,
    seriesOf,
    seriesTitle: chosen.seriesDims.join(", "),
    sort: sorter(panels, series, panelOf, seriesOf),
  };
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** What a panel stands for, in words: `adapter and fault`, adapter first. */
export function panelWords(layout: Layout): string {
  const ordered = [...layout.panelDims].sort((a, b) => Number(b === "adapter") - Number(a === "adapter"));
  return ordered.join(" and ") || "run";
}
