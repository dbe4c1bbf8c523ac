/**
 * Writing a report: load → charts → render → files. `writeReports(outDir)` is what the runner calls
 * after a run (report of the runs in outDir, written into it); `writeReport(sets, dest)` is the
 * general form the `report` command uses.
 *
 * Files: report.html, report.md, charts/<chart>.{svg,png,vl.json}, omb/[<set>/]<runId>.omb.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join, relative, resolve, sep } from "node:path";
import { UsageError } from "../core/errors.js";
import { buildCharts } from "./charts.js";
import { assertComparable, type Comparison, compareSets, type Tolerances } from "./compare.js";
import { flattenSets, type ReportRun } from "./figures.js";
import { type RenderedChart, type ReportModel, reportHtml } from "./html.js";
import { loadResultSet, type ResultSet } from "./load.js";
import { reportMarkdown } from "./markdown.js";
import { toOmb } from "./omb.js";
import { renderPng, renderSvg } from "./render.js";

export const REPORT_FORMATS = ["html", "svg", "png", "md", "omb"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportOptions {
  /** Default: every format. */
  readonly formats?: readonly string[];
  /** When comparing, a figure is flagged past both tolerances (defaults: 10 %; 1 ms, 100 msg/s, 100 msgs). */
  readonly tolerance?: number;
  readonly absTolerance?: Tolerances["absolute"];
  /** The time printed in the report (tests pin it). */
  readonly now?: Date;
}

export interface WrittenReport {
  /** Absolute paths, in the order written. */
  readonly files: readonly string[];
  /** One per set after the first, each against the first. */
  readonly comparisons: readonly Comparison[];
  /** Where the time went, for `npm run bench`. */
  readonly timingsMs: { readonly svg: number; readonly png: number; readonly documents: number };
}

export function parseFormats(formats: readonly string[] | undefined): Set<ReportFormat> {
  if (formats === undefined) return new Set(REPORT_FORMATS);
  const chosen = new Set<ReportFormat>();
  for (const raw of formats.flatMap((f) => f.split(","))) {
    const f = raw.trim().toLowerCase();
    if (f === "") continue;
    if (!(REPORT_FORMATS as readonly string[]).includes(f)) {
      throw new UsageError(`unknown report format "${raw}"; formats: ${REPORT_FORMATS.join(", ")}`);
    }
    chosen.add(f as ReportFormat);
  }
  if (chosen.size === 0)
    throw new UsageError(`no report format given; formats: ${REPORT_FORMATS.join(", ")}`);
  return chosen;
}

/** A file name from an id that came from input: no separators, no dot-names, bounded. */
export function safeFileName(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._=+-]+/g, "_").slice(0, 150);
  return /^\.*$/.test(cleaned) ? `_${cleaned}` : cleaned;
}

function uniqueNames(ids: readonly string[]): string[] {
  const used = new Set<string>();
  return ids.map((id) => {
    const base = safeFileName(id);
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}~${i}`;
    used.add(name.toLowerCase());
    return name;
  });
}

export async function writeReport(
  sets: readonly ResultSet[],
  destDir: string,
  options: ReportOptions = {},
): Promise<WrittenReport> {
  if (sets.length === 0)
    throw new UsageError("nothing to report: give at least one results directory or file");
  const formats = parseFormats(options.formats);
  const tolerances: Tolerances = {
    ...(options.tolerance !== undefined ? { relative: options.tolerance } : {}),
    ...(options.absTolerance !== undefined ? { absolute: options.absTolerance } : {}),
  };
  const dest = resolve(destDir);
  const files: string[] = [];
  const write = async (rel: string, data: string | Uint8Array) => {
    const path = join(dest, rel);
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, data);
    files.push(path);
  };
  const runs = flattenSets(sets);
  const first = sets[0] as ResultSet;
  const comparisons = sets.slice(1).map((s) => compareSets(first, s, tolerances));
  // Nothing to compare is an error before anything is written, not a report that says "no figure worse".
  for (const c of comparisons) assertComparable(c);
  await mkdir(dest, { recursive: true });
  const defs = buildCharts(
    runs,
    sets.map((s) => s.label),
    sets.flatMap((s) =>
      (s.searches ?? []).map((f) => ({
        set: s.label,
        runId: f.runId,
        maxRate: f.result.maxRate,
        p99Ms: f.criteria.p99Ms,
      })),
    ),
  );
  const needSvg = formats.has("svg") || formats.has("png") || formats.has("html");
  let svgMs = 0;
  let pngMs = 0;
  const charts: RenderedChart[] = [];
  if (needSvg) {
    for (const def of defs) {
      const t0 = performance.now();
      const svg = await renderSvg(def.spec);
      svgMs += performance.now() - t0;
      const chartFiles: string[] = [];
      if (formats.has("svg") || formats.has("png")) {
        await write(`charts/${def.id}.vl.json`, JSON.stringify(def.spec, null, 1));
        chartFiles.push(`charts/${def.id}.vl.json`);
      }
      if (formats.has("svg")) {
        await write(`charts/${def.id}.svg`, svg);
        chartFiles.push(`charts/${def.id}.svg`);
      }
      if (formats.has("png")) {
        const t1 = performance.now();
        const png = await renderPng(svg);
        pngMs += performance.now() - t1;
        await write(`charts/${def.id}.png`, png);
        chartFiles.push(`charts/${def.id}.png`);
      }
      charts.push({ def, svg, files: chartFiles });
    }
  }

  const t2 = performance.now();
  const ombFiles: string[] = [];
  if (formats.has("omb")) {
    const setDirs = uniqueNames(sets.map((s) => s.label));
    for (const [i, set] of sets.entries()) {
      const names = uniqueNames(set.runs.map((r) => r.result.runId));
      for (const [j, run] of set.runs.entries()) {
        if (run.result.status !== "completed") continue;
        const rel = sets.length > 1 ? `omb/${setDirs[i]}/${names[j]}.omb.json` : `omb/${names[j]}.omb.json`;
        await write(rel, JSON.stringify(toOmb(run.result), null, 2));
        ombFiles.push(rel);
      }
    }
  }
  const model: ReportModel = {
    generatedAt: (options.now ?? new Date()).toISOString(),
    sets,
    runs,
    charts,
    comparisons,
    ombFiles,
    resultsHref: (r: ReportRun) => (r.file ? relative(dest, r.file).split(sep).join("/") : null),
  };
  if (formats.has("html")) await write("report.html", reportHtml(model));
  if (formats.has("md")) await write("report.md", reportMarkdown(model));
  const documents = performance.now() - t2;
  return { files, comparisons, timingsMs: { svg: svgMs, png: pngMs, documents } };
}

/**
 * The report of the runs in `outDir` (`<outDir>/<runId>/results.json`), written into `outDir`.
 * `compareWith`: another results directory to compare against (the baseline). Returns the paths written.
 */
export async function writeReports(
  outDir: string,
  options?: {
    formats?: readonly string[];
    compareWith?: string;
    tolerance?: number;
    absTolerance?: Tolerances["absolute"];
  },
): Promise<string[]> {
  const current = await loadResultSet(outDir);
  const sets: ResultSet[] = [];
  if (options?.compareWith !== undefined) {
    const baseline = await loadResultSet(options.compareWith);
    const same = basename(resolve(options.compareWith)) === basename(resolve(outDir));
    sets.push(
      same ? { ...baseline, label: "baseline" } : baseline,
      same ? { ...current, label: "current" } : current,
    );
  } else {
    sets.push(current);
  }
  const written = await writeReport(sets, outDir, {
    ...(options?.formats ? { formats: options.formats } : {}),
    ...(options?.tolerance !== undefined ? { tolerance: options.tolerance } : {}),
    ...(options?.absTolerance !== undefined ? { absTolerance: options.absTolerance } : {}),
  });
  return [...written.files];
}
