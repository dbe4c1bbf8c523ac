/**
 * Report rendering: the full report (every chart to SVG and PNG, report.html, report.md, OMB JSON)
 * of a 12-run matrix with 60 one-second samples per run, as `brokerbench report` writes it; and
 * the html+md report the runner writes after every `run`. Median of a few rounds.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeReport } from "../reports/index.js";
import type { ResultSet } from "../reports/load.js";
import { twelveRunMatrix } from "../reports/synthetic.js";
import type { Benchmark } from "./bench.js";

const ROUNDS = 5;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export const reportsBenchmark: Benchmark = {
  name: "reports",
  describe: `render the report of a 12-run matrix (median of ${ROUNDS} rounds)`,
  async run() {
    const results = twelveRunMatrix(60);
    const set: ResultSet = {
      label: "matrix",
      source: "synthetic 12-run matrix",
      runs: results.map((result) => ({ result, file: `${result.runId}/results.json` })),
    };
    const dir = await mkdtemp(join(tmpdir(), "bb-bench-reports-"));
    try {
      // One round untimed: module loading and JIT warmup are not the report's cost.
      await writeReport([set], join(dir, "warm"), { formats: ["html"] });
      const full: number[] = [];
      const svg: number[] = [];
      const png: number[] = [];
      const docs: number[] = [];
      const htmlMd: number[] = [];
      let files = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const t0 = performance.now();
        const w = await writeReport([set], join(dir, `full-${i}`));
        full.push(performance.now() - t0);
        svg.push(w.timingsMs.svg);
        png.push(w.timingsMs.png);
        docs.push(w.timingsMs.documents);
        files = w.files.length;
        const t1 = performance.now();
        await writeReport([set], join(dir, `html-${i}`), { formats: ["html", "md"] });
        htmlMd.push(performance.now() - t1);
      }
      const figures = {
        runs: results.length,
        filesWritten: files,
        fullReportMs: Math.round(median(full)),
        svgRenderMs: Math.round(median(svg)),
        pngRenderMs: Math.round(median(png)),
        documentsAndOmbMs: Math.round(median(docs)),
        htmlMdReportMs: Math.round(median(htmlMd)),
      };
      console.log(
        `12-run matrix, ${files} files: full report ${figures.fullReportMs} ms ` +
          `(SVG ${figures.svgRenderMs} ms, PNG ${figures.pngRenderMs} ms, html/md/OMB ${figures.documentsAndOmbMs} ms); ` +
          `html+md only (after each run) ${figures.htmlMdReportMs} ms`,
      );
      return figures;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
