import { describe, expect, it } from "vitest";
import type { RunResult } from "../core/results.js";
import { keeping, type ReportRun, runLabels } from "./figures.js";
import { type Headline, headlines, headlineText } from "./headlines.js";
import { runResult } from "./synthetic.js";

function heads(results: RunResult[]): Headline[] {
  const runs: ReportRun[] = results.map((result) => ({ set: "s", result }));
  const labels = runLabels(runs);
  return headlines(runs, (r) => labels.get(r) ?? r.result.runId);
}

function line(hs: Headline[], label: string): string {
  const h = hs.find((x) => x.label === label);
  expect(h, `headline "${label}" in ${hs.map((x) => x.label).join(", ")}`).toBeDefined();
  return headlineText(h as Headline);
}

/** Sets the corrected end-to-end percentiles of a run (ms). */
function latency(r: RunResult, p50: number, p99: number, p999: number): RunResult {
  const c = r.latency.endToEnd.corrected;
  return {
    ...r,
    latency: {
      ...r.latency,
      endToEnd: {
        ...r.latency.endToEnd,
        corrected: { ...c, p50Ms: p50, p99Ms: p99, p999Ms: p999, maxMs: Math.max(c.maxMs, p999) },
      },
    },
  };
}

describe("headlines", () => {
  it("at one offered rate nobody is fastest: each run sustained it or did not, pub-sub counted per group", () => {
    const hs = heads([
      runResult({ runId: "queue", adapter: "redis-streams", seed: 1, matrix: { mode: "queue" } }),
      runResult({
        runId: "pubsub",
        adapter: "redis-streams",
        seed: 2,
        matrix: { mode: "pubsub" },
        groups: 2,
      }),
      runResult({
        runId: "behind",
        adapter: "redis-streams",
        seed: 3,
        matrix: { mode: "slow" },
        lagFromS: 4,
      }),
    ]);
    expect(hs.map((h) => h.label)).not.toContain("Fastest");
    const text = line(hs, "Throughput");
    expect(text).toMatch(
      /^offered 2,000 msg\/s; 2 of 3 runs sustained it\. Not sustained: slow \(consumed [\d,]+\/s, backlog [\d,]+ when producing ended\)$/,
    );
  });

  it("calls throughput sustained only with a bounded backlog", () => {
    const behind = runResult({ runId: "behind", seed: 3, lagFromS: 4 });
    const k = keeping(behind);
    expect(k.backlogBounded).toBe(false);
    expect(k.sustained).toBe(false);
    expect(keeping(runResult({ runId: "ok", seed: 3 })).sustained).toBe(true);
  });

  it("never names a lossy run best for p99 without its loss beside it", () => {
    const lossy = latency(
      runResult({ runId: "mqtt", adapter: "mqtt", seed: 1, lost: 6003, delivery: "at-most-once" }),
      0.5,
      2.9,
      3.0,
    );
    const clean = latency(runResult({ runId: "jetstream", adapter: "jetstream", seed: 2 }), 1, 3.1, 3.2);
    const text = line(heads([lossy, clean]), "Lowest end-to-end p99");
    expect(text).toMatch(
      /^jetstream: 3\.10 ms \(p50 1\.00 ms\), among runs that lost and duplicated nothing\. Lower, but: mqtt 2\.90 ms lost 6,003 of [\d,]+$/,
    );
  });

  it("when every run lost messages, says so right after the best one's figure", () => {
    const a = latency(
      runResult({ runId: "a", adapter: "nats", seed: 1, lost: 6020, delivery: "at-most-once" }),
      0.5,
      2.9,
      3,
    );
    const b = latency(
      runResult({ runId: "b", adapter: "mqtt", seed: 2, lost: 6002, delivery: "at-most-once" }),
      0.5,
      3.5,
      4,
    );
    const h = heads([a, b]).find((x) => x.label === "Lowest end-to-end p99") as Headline;
    expect(headlineText(h)).toMatch(
      /^nats: 2\.90 ms \(p50 0\.50 ms\) — lost 6,020 of [\d,]+: its latency covers only what was delivered$/,
    );
    expect(h.tone).toBe("caveat");
    expect(h.parts.some((p) => "caveat" in p && p.caveat.startsWith("lost 6,020"))).toBe(true);
  });

  it("ranks the tail by the percentile itself, not by its ratio to the p50", () => {
    const nats = latency(runResult({ runId: "nats", adapter: "nats", seed: 1 }), 0.75, 2920, 3011);
    const reference = latency(
      runResult({ runId: "reference", adapter: "reference", seed: 2 }),
      1496,
      6873,
      6984,
    );
    expect(line(heads([nats, reference]), "Highest end-to-end p99.9")).toMatch(/^reference: 6\.98 s /);
  });

  it("names the highest sustained rate when rates differ, and a higher one that was not sustained beside it", () => {
    const slow = runResult({ runId: "r1000", matrix: { rate: 1000 }, rateMsgsPerSec: 1000, seed: 1 });
    const fast = runResult({ runId: "r4000", matrix: { rate: 4000 }, rateMsgsPerSec: 4000, seed: 2 });
    const over = runResult({
      runId: "r8000",
      matrix: { rate: 8000 },
      rateMsgsPerSec: 8000,
      seed: 3,
      lagFromS: 3,
    });
    const text = line(heads([slow, fast, over]), "Highest sustained throughput");
    expect(text).toMatch(
      /^rate=4000: [\d,]+ msg\/s published, [\d,]+ msg\/s consumed\. Higher but not sustained: rate=8000 [\d,]+ msg\/s published \(/,
    );
  });

  it("links every run it names", () => {
    const hs = heads([
      runResult({ runId: "a", seed: 1, lost: 3 }),
      runResult({ runId: "b", seed: 2, status: "error", reason: "broker unreachable" }),
    ]);
    const verdicts = hs.find((h) => h.label === "Verdicts") as Headline;
    expect(verdicts.tone).toBe("alarm");
    expect(
      verdicts.parts.filter((p) => "run" in p).map((p) => ("run" in p ? p.run.result.runId : "")),
    ).toEqual(["a"]);
    expect(line(hs, "Not run to the end")).toBe("1 error: b (broker unreachable)");
  });

  it("shows any status a runner writes, with its reason", () => {
    const interrupted = {
      ...runResult({ runId: "i", seed: 1 }),
      status: "interrupted" as never,
      reason: "SIGINT",
    };
    expect(line(heads([interrupted]), "Not run to the end")).toBe("1 interrupted: i (SIGINT)");
  });
});
