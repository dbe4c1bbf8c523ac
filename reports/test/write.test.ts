import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../core/results.js";
import { loadResultSet } from "../load.js";
import { matrixResults, runResult } from "../synthetic.js";
import { writeReport, writeReports } from "../write.js";

async function writeResultsDir(results: readonly RunResult[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bb-report-"));
  for (const r of results) {
    await mkdir(join(dir, r.runId), { recursive: true });
    await writeFile(join(dir, r.runId, "results.json"), JSON.stringify(r));
  }
  return dir;
}

/** The HTML of one `<h2>` section: small enough to print when an assertion fails. */
function section(html: string, title: string): string {
  const start = html.search(new RegExp(`<h2[^>]*>${title}`));
  expect(start).toBeGreaterThan(-1);
  const end = html.indexOf("<h2", start + 4);
  return html.slice(start, end === -1 ? undefined : end);
}

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("writeReports on a matrix of runs", () => {
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    const runs = [
      ...matrixResults(),
      runResult({ runId: "throughput-lossy", seed: 9, lost: 3, medianE2eUs: 800, scheduleLagUs: 40_000 }),
      runResult({
        runId: "throughput-mqtt",
        seed: 10,
        status: "not-supported",
        reason: "mqtt cannot replay",
      }),
    ];
    dir = await writeResultsDir(runs);
    files = await writeReports(dir);
    console.log(`report written to ${dir}`);
  });

  it("writes every format: html, md, one svg/png/spec per chart, one OMB file per completed run", () => {
    const rel = files.map((f) => relative(dir, f)).sort();
    expect(rel).toContain("report.html");
    expect(rel).toContain("report.md");
    for (const chart of ["timeline", "figures", "latency", "publish-latency"]) {
      expect(rel).toContain(`charts/${chart}.svg`);
      expect(rel).toContain(`charts/${chart}.png`);
      expect(rel).toContain(`charts/${chart}.vl.json`);
    }
    expect(rel.filter((f) => f.startsWith("omb/"))).toHaveLength(5);
    expect(rel).not.toContain("omb/throughput-mqtt.omb.json");
  });

  it("renders PNGs with real pixels at twice the SVG size", async () => {
    const svg = await readFile(join(dir, "charts/latency.svg"), "utf8");
    const png = await readFile(join(dir, "charts/latency.png"));
    const width = Number(/width="(\d+)"/.exec(svg)?.[1]);
    expect(pngSize(png).width).toBe(width * 2);
    expect(png.length).toBeGreaterThan(20_000);
  });

  it("puts the headlines with links to their runs, the failed verdict with its witness and the unsupported point in the HTML", async () => {
    const html = await readFile(join(dir, "report.html"), "utf8");
    const summary = section(html, "Summary");
    expect(summary).not.toContain("Fastest");
    // rates differ across these runs: the highest one sustained, not the one that consumed most
    expect(summary).toMatch(
      /<b>Highest sustained throughput:<\/b> <a href="#run-[^"]+">[^<]+<\/a>: [\d,]+ msg\/s published/,
    );
    expect(summary).toContain(
      '<li class="tone-alarm"><b>Verdicts:</b> 1 of 5 invalid: <a href="#run-throughput-lossy">throughput-lossy</a> (lost 3)</li>',
    );
    expect(summary).toContain(
      '<b>Coordinated omission:</b> <a href="#run-throughput-lossy">throughput-lossy</a>',
    );
    expect(summary).toContain(
      "<b>Not run:</b> 1 point not supported by their adapter (table under the runs)",
    );
    // the anchor each headline links to
    expect(section(html, "Runs")).toContain('<tr id="run-throughput-lossy" class="row-bad">');
    expect(section(html, "Runs")).toContain('<a href="throughput-lossy/results.json">throughput-lossy</a>');
    const verdicts = section(html, "Delivery verdicts");
    expect(verdicts).toMatch(
      /<tr class="row-bad"><td>throughput-lossy<\/td>.*<td class="bad">INVALID<\/td><td class="num bad">3<\/td>/,
    );
    expect(verdicts).toContain("message 1-42 acknowledged at offset 41 but never delivered to group g1");
    const support = section(html, "Runs");
    expect(support).toContain("What ran where: 1 of 6 points not supported by their adapter");
    expect(support).toContain("<li><b>a</b>: mqtt cannot replay</li>");
    expect(html.match(/<figure class="chart"/g)?.length).toBe(4);
    expect(/<script/i.test(html)).toBe(false);
    // every chart's ids prefixed, so inlined SVGs do not share clip paths
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length - new Set(ids).size).toBe(0);
  });

  it("shows an allowed finding as context, not as an alarm", async () => {
    const base = runResult({ runId: "causal-ok", seed: 11 });
    const v = base.verdict as NonNullable<RunResult["verdict"]>;
    const withCausal: RunResult = {
      ...base,
      verdict: { ...v, counts: { ...v.counts, causal: 54186 } },
    };
    const d = await writeResultsDir([withCausal]);
    await writeReports(d, { formats: ["html"] });
    const html = await readFile(join(d, "report.html"), "utf8");
    expect(section(html, "Delivery verdicts")).toContain('<td class="note">causal 54,186 (allowed)</td>');
    expect(html).not.toMatch(/class="[^"]*(bad|warn)[^"]*">causal/);
  });

  it("writes Markdown tables with the PNG links and the OMB note", async () => {
    const md = await readFile(join(dir, "report.md"), "utf8");
    expect(md).toContain("![End-to-end latency by percentile](charts/latency.png)");
    expect(md).toMatch(/\| throughput-lossy \| \*\*INVALID: lost 3\*\* \|/);
    expect(md).toContain(
      "- ⚠ **Verdicts:** 1 of 5 invalid: [throughput-lossy](throughput-lossy/results.json) (lost 3)",
    );
    expect(md).toContain("latencies measured from the actual send (uncorrected for coordinated omission)");
    const omb = JSON.parse(await readFile(join(dir, "omb/throughput-lossy.omb.json"), "utf8")) as {
      latencyNote: string;
    };
    expect(omb.latencyNote).toMatch(/^OMB export: latencies measured from the actual send \(uncorrected/);
  });

  it("draws the latency-vs-rate chart only when the matrix sweeps a rate", async () => {
    const sweep = [500, 1000, 2000, 4000].map((rate, i) =>
      runResult({
        runId: `sweep-rate=${rate}`,
        matrix: { rate },
        rateMsgsPerSec: rate,
        seed: 20 + i,
        durationS: 4,
      }),
    );
    const sweepDir = await writeResultsDir(sweep);
    const out = await writeReport([await loadResultSet(sweepDir)], sweepDir, { formats: ["svg"] });
    expect(out.files.map((f) => relative(sweepDir, f))).toContain("charts/latency-vs-rate.svg");
    expect(files.map((f) => relative(dir, f))).not.toContain("charts/latency-vs-rate.svg");
  });

  it("compares with a baseline: ratios new/old, regressions flagged", async () => {
    const slower = matrixResults().map((r) => ({
      ...r,
      throughput: { ...r.throughput, consumeMsgsPerSec: r.throughput.consumeMsgsPerSec * 0.5 },
    }));
    const newDir = await writeResultsDir(slower);
    const oldDir = await writeResultsDir(matrixResults());
    const written = await writeReports(newDir, { compareWith: oldDir, formats: ["html", "md"] });
    const html = await readFile(written.find((f) => f.endsWith("report.html")) as string, "utf8");
    expect(section(html, "Summary")).toMatch(/vs [^<]+: worse:<\/b> 4 figures by more than 10 % and 1.00 ms/);
    expect(section(html, "Comparison")).toContain('<td class="num bad">0.50×</td>');
  });

  it("rejects an unknown format by name", async () => {
    await expect(writeReports(dir, { formats: ["html,pdf"] })).rejects.toThrow(/unknown report format "pdf"/);
  });
});
