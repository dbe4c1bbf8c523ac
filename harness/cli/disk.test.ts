/** Runs whose histories may not fit on the output disk are refused before they start. */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { maxMessages, parseWorkloadText } from "../workload/index.js";
import { main } from "./cli.js";
import { checkHistoriesFit, runHistoryBytes } from "./disk.js";

const workload = (text: string) => parseWorkloadText(text, "w.yaml")[0]!.workload;

afterEach(() => vi.restoreAllMocks());

describe("history size estimate", () => {
  it("counts what a run may send: a count, a rate over the duration, max rate as 2 M msg/s", () => {
    expect(maxMessages(workload("messages: 5000\n"))).toBe(5000);
    expect(maxMessages(workload("rate: 20000\ndurationS: 3\n"))).toBe(60_000);
    expect(maxMessages(workload("rate: max\ndurationS: 5\n"))).toBe(10_000_000);
  });

  it("is an upper bound of what the recorders measured (bench: 206 and 0.6 bytes a message)", () => {
    const w = workload("rate: max\ndurationS: 5\n"); // the issue's `run throughput`: 1.0 GB in 5 s
    expect(runHistoryBytes(w, "jsonl")).toBeGreaterThan(10_000_000 * 206);
    expect(runHistoryBytes(w, "compact")).toBeGreaterThan(10_000_000 * 0.6);
    expect(runHistoryBytes(w, "compact")).toBeLessThan(runHistoryBytes(w, "jsonl") / 20);
  });

  it("refuses naming what it needs, what there is and the flags that change it", () => {
    const w = workload("rate: max\ndurationS: 5\n");
    expect(() => checkHistoriesFit([w], "jsonl", "/out", 1 << 30)).toThrow(
      /^the histories of this run may need up to 2\.\d GiB \(jsonl, max rate taken as 2,000,000 msg\/s\) but \/out has 1\.0 GiB free; use --history-format compact, a shorter --duration or --messages, a --rate, --no-history, or --no-disk-check to run anyway$/,
    );
    expect(() => checkHistoriesFit([w], "compact", "/out", 1 << 30)).not.toThrow();
    expect(() => checkHistoriesFit([w, w, w], "compact", "/out", 100 << 20)).toThrow(
      /the histories of these 3 runs may need/,
    );
  });

  it("the CLI refuses with exit 2 against the real free space, and --no-disk-check lets it start", async () => {
    const err: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
    vi.spyOn(console, "log").mockImplementation(() => {});
    const out = join(mkdtempSync(join(tmpdir(), "bb-disk-")), "out");
    // 10^7 s at max rate: petabytes, on any disk.
    expect(await main(["run", "--duration", "10000000", "--rate", "max", "-o", out])).toBe(2);
    expect(err.at(-1)).toMatch(
      /^brokerbench: the histories of these 4 runs may need up to .* free; .*--no-disk-check to run anyway$/,
    );
    expect(existsSync(out)).toBe(false); // refused before anything was made
    // Not refused: it starts, and fails at once on a broker that is not there (exit 1, not 2).
    const file = join(out, "..", "one.yaml");
    writeFileSync(file, "rate: max\ndurationS: 10000000\ndeliveryMode: at-most-once\n");
    const argv = ["run", file, "--no-disk-check", "--adapter", "nats", "--set", "url=nats://127.0.0.1:1"];
    expect(await main([...argv, "--report", "none", "-o", out])).toBe(1);
    expect(err.join("\n")).toMatch(/one on nats: error/);
  });
});
