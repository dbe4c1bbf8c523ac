import { describe, expect, it } from "vitest";
import { builtinWorkloads, loadWorkloadFile, resolveWorkloadArg } from "../../workload/index.js";
import { describeWorkload } from "./list.js";

describe("brokerbench list", () => {
  it("describes every built-in workload as the loader reads it (runs and description), without validating", async () => {
    for (const name of builtinWorkloads()) {
      const runs = await loadWorkloadFile(resolveWorkloadArg(name));
      expect(await describeWorkload(name), name).toEqual({
        runs: runs.length,
        description: runs[0]?.workload.description ?? "",
      });
    }
  });
});
