import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtinSummaries, freshIndex, INDEX_FILE } from "../../workload/builtin-index.js";
import {
  builtinWorkloadDir,
  builtinWorkloads,
  loadWorkloadFile,
  resolveWorkloadArg,
} from "../../workload/index.js";

describe("brokerbench list", () => {
  it("describes every built-in workload as the loader reads it (runs and description), without validating", async () => {
    const summaries = await builtinSummaries();
    expect([...summaries.keys()]).toEqual(builtinWorkloads());
    for (const name of builtinWorkloads()) {
      const runs = await loadWorkloadFile(resolveWorkloadArg(name));
      expect(summaries.get(name), name).toEqual({
        runs: runs.length,
        description: runs[0]?.workload.description ?? "",
      });
    }
  });

  it("describes a workload whose file changed from the file, not from the index", async () => {
    const fromFiles = await builtinSummaries({});
    const stale = Object.fromEntries(
      builtinWorkloads().map((name) => [name, { runs: 999, description: "stale", sha1: "0".repeat(40) }]),
    );
    expect(await builtinSummaries(stale)).toEqual(fromFiles);
    expect([...fromFiles.values()].some((w) => w.description === "stale")).toBe(false);
  });

  it("has a workloads/index.json that matches the files (else: npm run build && npm run workloads:index)", async () => {
    const committed: unknown = JSON.parse(readFileSync(join(builtinWorkloadDir(), INDEX_FILE), "utf8"));
    expect(committed).toEqual(await freshIndex());
  });
});
