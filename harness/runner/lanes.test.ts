/** The producer window: `inFlight` lanes, each its own history process, over one adapter producer. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AdapterFactory, Producer, SendAck } from "../../adapters/contract.js";
import { referenceAdapter } from "../../adapters/reference/index.js";
import { checkHistoryFile } from "../../checkers/index.js";
import { readHistoryText } from "../../core/history/compact-file.js";
import { parseWorkloadText } from "../workload/index.js";
import { executeRun } from "./run.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The reference adapter, every send of its producers going through `around` (which calls `send` once). */
function aroundSends(
  around: (send: () => Promise<readonly SendAck[]>) => Promise<readonly SendAck[]>,
): AdapterFactory {
  return {
    ...referenceAdapter,
    connect: async (settings: Record<string, string>) => {
      const adapter = await referenceAdapter.connect(settings);
      const createProducer = adapter.createProducer.bind(adapter);
      adapter.createProducer = async (o) => {
        const p = await createProducer(o);
        const wrapped: Producer = {
          send: (batch) => around(() => p.send(batch)),
          close: () => p.close(),
        };
        return wrapped;
      };
      return adapter;
    },
  };
}

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
    const factory = aroundSends(async (send) => {
      outstanding++;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      await sleep(5); // a slow acknowledgement
      try {
        return await send();
      } finally {
        outstanding--;
      }
    });
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

describe("the warmup's end", () => {
  it("skips the warmup slots a late producer has not sent, and no slot after it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bb-lanes-"));
    // 200 batches a second (one every 5 ms), 0.3 s of warmup, 0.5 s measured: 60 warmup slots, 100 after.
    const [point] = parseWorkloadText(
      "rate: 2000\nbatchSize: 10\ninFlight: 1\nwarmupS: 0.3\ndurationS: 0.8\n",
      "warmup-skip.yaml",
    );
    // Every send that starts in the first 350 ms takes 40 ms (a cold client): by the warmup's end
    // the producer has sent ~8 of its 60 warmup slots.
    let firstSendMs: number | null = null;
    const factory = aroundSends(async (send) => {
      firstSendMs ??= Date.now();
      if (Date.now() - firstSendMs < 350) await sleep(40);
      return send();
    });
    const r = await executeRun({
      run: point!,
      runId: "warmup-skip",
      factory,
      settings: {},
      dir,
      history: false,
      check: null,
    });
    expect(r.status, r.reason ?? "").toBe("completed");
    // Behind by ~250 ms when the warmup ended; that delay was dropped, not carried into the figures.
    expect(r.counts.warmupDelayDroppedMs).toBeGreaterThan(100);
    // Without the skip all 60 warmup slots would have gone out (1,600 messages in all).
    expect(r.counts.ackedMsgs).toBeLessThan(1300);
    // Every slot of the measured window was sent (a batch up to 1 ms early takes its send time as
    // intended time, so the one due at the boundary may count as warmup).
    expect(r.latency.publish.corrected.count).toBeGreaterThanOrEqual(990);
    expect(r.latency.publish.corrected.count).toBeLessThanOrEqual(1000);
  });

  it("drops nothing from a producer that kept its schedule, and says so", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bb-lanes-"));
    const [point] = parseWorkloadText(
      "rate: 2000\nbatchSize: 10\nwarmupS: 0.2\ndurationS: 0.5\n",
      "on-time.yaml",
    );
    const r = await executeRun({
      run: point!,
      runId: "on-time",
      factory: referenceAdapter,
      settings: {},
      dir,
      history: false,
      check: null,
    });
    expect(r.status, r.reason ?? "").toBe("completed");
    // On a quiet machine the embedded broker keeps 2,000 msg/s: all 100 slots, nothing dropped. On
    // a loaded one the producer may be late at the boundary; then it must say so.
    const dropped = r.counts.warmupDelayDroppedMs ?? -1;
    expect(dropped).toBeGreaterThanOrEqual(0);
    if (dropped === 0) expect(r.counts.ackedMsgs).toBe(1000);
    else expect(r.counts.ackedMsgs).toBeLessThan(1000);
  });
});
