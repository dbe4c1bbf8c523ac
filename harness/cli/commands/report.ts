/**
 * `brokerbench report <inputs..>`: report.html, report.md, charts (SVG/PNG/Vega-Lite) and OMB JSON
 * from results directories or results.json files. Several inputs are compared, each against the
 * first (`report old/ new/`); `--merge` reports them as one set instead.
 */
import { stat } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { EXIT, UsageError } from "../../../core/errors.js";
import { fmtRatio } from "../../../reports/figures.js";
import {
  DEFAULT_ABS_TOLERANCE,
  DEFAULT_TOLERANCE,
  loadMergedSet,
  loadResultSets,
  OMB_LATENCY_NOTE,
  parseAbsTolerance,
  parseFormats,
  REPORT_FORMATS,
  regressions,
  worseCount,
  writeReport,
} from "../../../reports/index.js";
import { SUMMARY_WIDTH, wrap } from "../summary.js";
import { defineCommand } from "./command.js";

export interface ReportArgs {
  readonly inputs: readonly string[];
  readonly out: string | undefined;
  readonly format: string;
  readonly tolerance: number;
  readonly absTolerance: string | undefined;
  readonly merge: boolean;
  readonly failOnRegression: boolean;
}

/** One directory input: the report goes beside its runs. Anything else needs --out or gets ./report. */
async function defaultOut(inputs: readonly string[]): Promise<string> {
  if (inputs.length === 1) {
    const only = inputs[0] as string;
    const info = await stat(only).catch(() => null);
    if (info?.isDirectory()) return only;
    if (info?.isFile()) return dirname(only);
  }
  return "report";
}

export const reportCommand = defineCommand<ReportArgs>({
  command: "report <inputs..>",
  describe: "Write an HTML/Markdown report with charts from results; two inputs compare old and new",
  builder: (y) =>
    y
      .positional("inputs", {
        type: "string",
        array: true,
        describe: "results directories (with run subdirectories), run directories or results.json files",
      })
      .option("out", {
        alias: "o",
        type: "string",
        describe: "where to write (default: the input directory when there is one, else ./report)",
      })
      .option("format", {
        alias: "f",
        type: "string",
        default: REPORT_FORMATS.join(","),
        describe: `comma-separated: ${REPORT_FORMATS.join(", ")}`,
      })
      .option("tolerance", {
        type: "number",
        default: DEFAULT_TOLERANCE,
        describe: "when comparing, flag a figure that moved by more than this fraction (0.1 = 10%)...",
      })
      .option("abs-tolerance", {
        type: "string",
        describe: `...and by more than this much, per unit (default ${Object.entries(DEFAULT_ABS_TOLERANCE)
          .map(([u, v]) => `${u}=${v}`)
          .join(",")})`,
      })
      .option("merge", {
        type: "boolean",
        default: false,
        describe: "report all inputs as one set instead of comparing them",
      })
      .option("fail-on-regression", {
        type: "boolean",
        default: false,
        describe:
          "exit 1 when a comparison flags a figure worse beyond the tolerances, or a verdict valid → invalid",
      })
      .example("$0 report results/2026-11-24T20-00-00", "report one results directory, written into it")
      .example(
        "$0 report old/ new/ --out cmp/",
        "compare two result sets: charts side by side, new/old ratios",
      )
      .example("$0 report results/x --format png,md", "only the PNG charts and report.md") as never,
  run: async (args) => {
    const formats = [...parseFormats([args.format])];
    if (!(Number.isFinite(args.tolerance) && args.tolerance >= 0 && args.tolerance < 1)) {
      throw new UsageError(
        `--tolerance ${args.tolerance}: expected a fraction from 0 to below 1 (0.1 = 10%)`,
      );
    }
    const absTolerance = args.absTolerance === undefined ? undefined : parseAbsTolerance(args.absTolerance);
    const sets = args.merge
      ? [await loadMergedSet(args.inputs, "merged")]
      : await loadResultSets(args.inputs);
    const out = resolve(args.out ?? (await defaultOut(args.inputs)));
    const written = await writeReport(sets, out, {
      formats,
      tolerance: args.tolerance,
      ...(absTolerance ? { absTolerance } : {}),
    });
    const main = written.files.filter((f) => /report\.(html|md)$/.test(f));
    // Paths under the working directory print relative, others absolute.
    const rel = (f: string) => {
      const r = relative(process.cwd(), f);
      return r === "" || r.startsWith("..") ? f : r;
    };
    console.log(
      `report: ${(main.length > 0 ? main : [join(out, "")]).map(rel).join(", ")} (${written.files.length} files in ${rel(out)})`,
    );
    if (formats.includes("omb")) console.log(wrap(OMB_LATENCY_NOTE, SUMMARY_WIDTH, "").join("\n"));
    let worse = 0;
    for (const c of written.comparisons) {
      const bad = regressions(c);
      worse += worseCount(c);
      const vs = `${c.newLabel} vs ${c.oldLabel}`;
      const floor = `${(c.tolerance * 100).toFixed(0)}% and ${c.absTolerance.ms} ms / ${c.absTolerance["msg/s"]} msg/s / ${c.absTolerance.msgs} msgs`;
      const lines = [`${vs}: ${c.matched} runs matched by workload, matrix point and adapter`];
      if (c.notComparable.length > 0 || c.onlyOld.length > 0 || c.onlyNew.length > 0) {
        lines.push(
          `${vs}: ${c.notComparable.length} did not complete on both sides, ${c.onlyOld.length} only in ${c.oldLabel}, ${c.onlyNew.length} only in ${c.newLabel}`,
        );
      }
      for (const d of c.differences.slice(0, 8)) {
        lines.push(`  differs: ${d.name} ${d.values.map((v) => `${v.old} → ${v.new}`).join(", ")}`);
      }
      if (c.differences.length > 8)
        lines.push(`  differs: and ${c.differences.length - 8} more (report.html)`);
      for (const v of c.verdictChanges) lines.push(`  verdict: ${v.point}: ${v.old} → ${v.new}`);
      lines.push(
        bad.length === 0
          ? `${vs}: no figure worse by more than ${floor}`
          : `${vs}: ${bad.length} figures worse by more than ${floor}`,
      );
      for (const r of bad) {
        lines.push(
          `  ${r.point}: ${r.figure} ${r.ratio === null ? "from 0" : fmtRatio(r.ratio)} (${Number(r.old.toPrecision(4))} → ${Number(r.new.toPrecision(4))} ${r.unit})${r.note ? `; ${r.note}` : ""}`,
        );
      }
      console.log(lines.flatMap((l) => wrap(l, SUMMARY_WIDTH, "    ")).join("\n"));
    }
    return args.failOnRegression && worse > 0 ? EXIT.invalid : EXIT.ok;
  },
});
