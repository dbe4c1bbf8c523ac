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
    const text = lines.join("\n");
    expect(text).toContain("new vs old: 3 runs matched by workload, matrix point and adapter");
    expect(text).toContain("new vs old: 1 figures worse by more than 10% and 1 ms / 100 msg/s / 100 msgs");
    expect(text).toMatch(/ {2}reference · push, rate=1000: consume throughput 0\.70×/);
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(120);
    expect(await readFile(join(out, "report.md"), "utf8")).toContain("## Comparison: new vs old");
  });

  it("matches `--adapter all` runs (ids end in -<adapter>) with single-adapter runs of the same points", async () => {
    const runs = twelveRunMatrix(5).slice(0, 2);
    const single = await resultsDir(
      "single",
      runs.map((r) => ({ ...r, runId: r.runId.replace(/-reference$/, "") })),
    );
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((s: string) => lines.push(s));
    const code = await main([
      "report",
      join(root, "old"),
      single,
      "-o",
      join(root, "cmp-suffix"),
      "-f",
      "md",
    ]);
    log.mockRestore();
    expect(code).toBe(0);
    expect(lines.join("\n")).toContain("single vs old: 2 runs matched");
  });

  it("two sets that share no run: exit 2 with a line saying so, even with --fail-on-regression", async () => {
    const other = await resultsDir(
      "other",
      twelveRunMatrix(5)
        .slice(0, 2)
        .map((r) => ({ ...r, workload: { ...r.workload, name: "something-else" } })),
    );
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const code = await main([
      "report",
      join(root, "old"),
      other,
      "-o",
      join(root, "cmp-none"),
      "--fail-on-regression",
    ]);
    const messages = err.mock.calls.map((c) => String(c[0]));
    err.mockRestore();
    log.mockRestore();
    expect(code).toBe(2);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      /^brokerbench: other vs old: nothing to compare, no run of one matches a run of the other/,
    );
    await expect(readdir(join(root, "cmp-none"))).rejects.toThrow(/ENOENT/);
  });

  it("turns bad input into a one-line error and exit 2", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await main(["report", join(root, "nowhere")])).toBe(2);
    expect(await main(["report", join(root, "old"), "--format", "pdf"])).toBe(2);
    expect(await main(["report", join(root, "old"), "--tolerance", "2"])).toBe(2);
    expect(await main(["report", join(root, "old"), join(root, "new"), "--abs-tolerance", "ms=x"])).toBe(2);
    const messages = err.mock.calls.map((c) => String(c[0]));
    err.mockRestore();
    expect(messages[0]).toMatch(/nowhere: no such file or directory/);
    expect(messages[1]).toMatch(/unknown report format "pdf"/);
    expect(messages[2]).toMatch(/--tolerance 2: expected a fraction/);
    expect(messages[3]).toMatch(/--abs-tolerance ms=x: expected a number ≥ 0 after ms=/);
  });
});
