import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { RunResult } from "../../../core/results.js";
import { twelveRunMatrix } from "../../../reports/synthetic.js";
import { main } from "../cli.js";

let root: string;

async function resultsDir(name: string, results: readonly RunResult[]): Promise<string> {
  const dir = join(root, name);
  for (const r of results) {
    await mkdir(join(dir, r.runId), { recursive: true });
    await writeFile(join(dir, r.runId, "results.json"), JSON.stringify(r));
  }
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "bb-report-cmd-"));
  const runs = twelveRunMatrix(5).slice(0, 3);
  await resultsDir("old", runs);
  await resultsDir(
    "new",
    runs.map((r, i) =>
      i === 0
        ? { ...r, throughput: { ...r.throughput, consumeMsgsPerSec: r.throughput.consumeMsgsPerSec * 0.7 } }
        : r,
    ),
  );
});

describe("brokerbench report", () => {
  it("writes the chosen formats beside the runs of one directory", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    expect(await main(["report", join(root, "old"), "--format", "html,md"])).toBe(0);
    log.mockRestore();
    const entries = await readdir(join(root, "old"));
    expect(entries).toContain("report.html");
    expect(entries).toContain("report.md");
    expect(entries).not.toContain("charts");
  });

  it("compares two sets; --fail-on-regression turns a regression into exit 1", async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((s: string) => lines.push(s));
    const out = join(root, "cmp");
    const code = await main([
      "report",
      join(root, "old"),
      join(root, "new"),
      "-o",
      out,
      "-f",
      "md",
      "--fail-on-regression",
    ]);
    log.mockRestore();
    expect(code).toBe(1);
    expect(lines).toContain("new vs old: 1 figures worse by more than 10%");
    expect(lines.some((l) => /consume throughput 0\.70×/.test(l))).toBe(true);
    expect(await readFile(join(out, "report.md"), "utf8")).toContain("## Comparison: new vs old");
  });

  it("turns bad input into a one-line error and exit 2", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await main(["report", join(root, "nowhere")])).toBe(2);
    expect(await main(["report", join(root, "old"), "--format", "pdf"])).toBe(2);
    expect(await main(["report", join(root, "old"), "--tolerance", "2"])).toBe(2);
    const messages = err.mock.calls.map((c) => String(c[0]));
    err.mockRestore();
    expect(messages[0]).toMatch(/nowhere: no such file or directory/);
    expect(messages[1]).toMatch(/unknown report format "pdf"/);
    expect(messages[2]).toMatch(/--tolerance 2: expected a fraction/);
  });
});
