/** The producer window: `inFlight` lanes, each its own history process, over one adapter producer. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Producer } from "../../adapters/contract.js";
import { referenceAdapter } from "../../adapters/reference/index.js";
import { checkHistoryFile } from "../../checkers/index.js";
import { readHistoryText } from "../../core/history/compact-file.js";
import { parseWorkloadText } from "../workload/index.js";
import { executeRun } from "./run.js";

describe("producer lanes", () => {
  it("keeps up to inFlight batches outstanding, one history process per lane", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bb-lanes-"));
    const [point] = parseWorkloadText(
      "messages: 600\nbatchSize: 20\nrate: max\ninFlight: 3\nproducersPerTopic: 2\nwarmupS: 0\n",
      "lanes.yaml",
    );
    // Count concurrent sends through the real adapter's producers.
    let outstanding = 0;
    let maxOutstanding = 0;
    const factory = {
      ...referenceAdapter,
      connect: async (settings: Record<string, string>) => {
        const adapter = await referenceAdapter.connect(settings);
        const createProducer = adapter.createProducer.bind(adapter);
        adapter.createProducer = async (o) => {
          const p = await createProducer(o);
          const wrapped: Producer = {
            send: async (batch) => {
              outstanding++;
              maxOutstanding = Math.max(maxOutstanding, outstanding);
              await new Promise((r) => setTimeout(r, 5)); // a slow acknowledgement
              try {
                return await p.send(batch);
              } finally {
                outstanding--;
              }
            },
            close: () => p.close(),
          };
          return wrapped;
        };
        return adapter;
      },
    };
    const r = await executeRun({
      run: point!,
      runId: "lanes",
      factory,
      settings: {},
      dir,
      history: true,
      check: (path, expect) => checkHistoryFile(path, { expect }),
    });
    expect(r.status, r.reason ?? "").toBe("completed");
    expect(r.verdict?.valid).toBe(true);
    expect(r.workload.params["inFlight"]).toBe(3);
    expect(r.counts.ackedMsgs).toBe(600);
    expect(maxOutstanding).toBe(6); // 2 producers × 3 lanes
    const sends = readHistoryText(join(dir, "history.bbh"))
      .split("\n")
      .filter((l) => l.includes('"f":"send"'))
      .map((l) => JSON.parse(l) as { process: number; value: { id: string }[] });
    expect([...new Set(sends.map((s) => s.process))].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    for (const s of sends) expect(s.value.every((m) => m.id.startsWith(`${s.process}-`))).toBe(true);
  });
});
