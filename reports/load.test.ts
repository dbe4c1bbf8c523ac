import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadMergedSet, loadResultSet, loadResultSets, parseRunResult } from "./load.js";
import { runResult } from "./synthetic.js";

let root: string;
const a = runResult({ runId: "a", seed: 2 });
const b = runResult({ runId: "b", seed: 1 });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "bb-load-"));
  for (const [dir, r] of [
    ["new/a", a],
    ["new/b", b],
    ["old/a", a],
  ] as const) {
    await mkdir(join(root, dir), { recursive: true });
    await writeFile(join(root, dir, "results.json"), JSON.stringify(r));
  }
  await mkdir(join(root, "new/charts"), { recursive: true }); // a report's own folder: ignored
  await mkdir(join(root, "empty"), { recursive: true });
});

describe("loadResultSet", () => {
  it("loads an output directory's runs in the order they started", async () => {
    const set = await loadResultSet(join(root, "new"));
    expect(set.label).toBe("new");
    expect(set.runs.map((r) => r.result.runId)).toEqual(["b", "a"]);
  });

  it("loads a run directory or a results.json, named after its run directory", async () => {
    expect((await loadResultSet(join(root, "new/a"))).runs).toHaveLength(1);
    const file = await loadResultSet(join(root, "new/b/results.json"));
    expect([file.label, file.runs[0]?.result.runId]).toEqual(["b", "b"]);
  });

  it("says what is wrong with a path that holds no results", async () => {
    await expect(loadResultSet(join(root, "missing"))).rejects.toThrow(/missing: no such file or directory/);
    await expect(loadResultSet(join(root, "empty"))).rejects.toThrow(
      /empty: no results.json in it nor in its subdirectories/,
    );
  });

  it("labels sets apart when their directories share a name", async () => {
    const sets = await loadResultSets([join(root, "new"), join(root, "new/a")]);
    expect(sets.map((s) => s.label)).toEqual(["new", "a"]);
    const same = await loadResultSets([join(root, "new"), join(root, "new")]);
    expect(same.map((s) => s.label)).toEqual(["new", "new#2"]);
  });

  it("refuses to merge two runs with one id", async () => {
    await expect(loadMergedSet([join(root, "new"), join(root, "old")], "m")).rejects.toThrow(
      /run id "a" appears in both/,
    );
  });
});

describe("parseRunResult", () => {
  it("names the file and the field that is wrong", () => {
    const broken = JSON.stringify({ ...a, latency: { ...a.latency, endToEnd: { corrected: {} } } });
    expect(() => parseRunResult(broken, "x/results.json")).toThrow(
      /^x\/results.json: not a brokerbench results.json: field `latency.endToEnd.corrected.count`/,
    );
    expect(() => parseRunResult("{", "y.json")).toThrow(/^y.json: not JSON/);
    expect(() => parseRunResult(JSON.stringify({ ...a, format: 2 }), "z.json")).toThrow(
      /^z.json: results format 2, this brokerbench reads format 1/,
    );
  });
});
