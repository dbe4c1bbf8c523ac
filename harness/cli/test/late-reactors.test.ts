import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { RunResult } from "../../../core/results.js";
import { reacts } from "../../runner/consumer-loop.js";
import { main } from "../cli.js";

const dir = mkdtempSync(join(tmpdir(), "bb-late-"));

interface Line {
  type: string;
  f: string;
  process?: number;
  group?: string;
  time?: number;
  value?: unknown;
}

async function runFile(
  name: string,
  lines: readonly string[],
): Promise<{ code: number; result: RunResult; history: Line[] }> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, lines.join("\n"));
  const out = join(dir, `out-${name}`);
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const error = vi.spyOn(console, "error").mockImplementation(() => {});
  let code: number;
  try {
    code = await main(["run", file, "--out", out, "--report", "none"]);
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
  const runDir = join(out, name);
  const result = JSON.parse(readFileSync(join(runDir, "results.json"), "utf8")) as RunResult;
  const history = readFileSync(join(runDir, "history.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Line);
  return { code, result, history };
}

const BASE = [
  "partitions: 2",
  "rate: 2000",
  "batchSize: 20",
  "durationS: 1.5",
  "warmupS: 0.2",
  "drainTimeoutS: 5",
];

describe("lateGroup", () => {
  it("earliest: the late group replays the whole log and is judged on loss like any drained group", async () => {
    const { code, result, history } = await runFile("late-earliest", [
      ...BASE,
      "lateGroup: { joinAtS: 0.8, start: earliest }",
    ]);
    expect(result.status).toBe("completed");
    const assign = history.find((l) => l.f === "assign" && l.group === "late");
    expect(assign).toBeDefined();
    // Joined after 0.8 s of producing, it still received everything.
    expect(result.counts.deliveredMsgs["late"]).toBe(result.counts.ackedMsgs);
    const late = result.verdict?.groups.find((g) => g.group === "late");
    expect(late?.drained).toBe(true);
    expect(result.verdict?.valid).toBe(true);
    expect(code).toBe(0);
  });

  it("latest: the late group gets only what follows its join, and is not judged on what came before", async () => {
    const { code, result, history } = await runFile("late-latest", [
      ...BASE,
      "lateGroup: { joinAtS: 0.8, start: latest }",
    ]);
    expect(result.status).toBe("completed");
    const firstLateLine = history.findIndex((l) => l.group === "late");
    const sentBefore = history
      .slice(0, firstLateLine)
      .filter((l) => l.type === "ok" && l.f === "send").length;
    expect(sentBefore).toBeGreaterThan(10); // batches acknowledged before the group existed
    const late = result.counts.deliveredMsgs["late"] ?? 0;
    expect(late).toBeGreaterThan(0);
    expect(late).toBeLessThan(result.counts.ackedMsgs * 0.8);
    expect(result.verdict?.groups.find((g) => g.group === "late")?.drained).toBe(false);
    expect(result.verdict?.valid).toBe(true);
    expect(code).toBe(0);
    expect((result.warnings ?? []).join("\n")).toMatch(/late group late started at latest/);
  });
});

describe("reactors", () => {
  it("chooses about the given fraction of sequence numbers, the same every time", () => {
    let n = 0;
    for (let s = 0; s < 10_000; s++) if (reacts(s, 0.3)) n++;
    expect(n).toBeGreaterThan(2700);
    expect(n).toBeLessThan(3300);
    expect(reacts(5, 0)).toBe(false);
    expect(reacts(5, 1)).toBe(true);
  });

  const REACT = [
    "rate: 3000",
    "batchSize: 10",
    "durationS: 1.5",
    "warmupS: 0.2",
    "drainTimeoutS: 5",
    "groups: 2",
    "order: causal",
    "reactors: { group: 1, fraction: 0.5 }",
  ];

  it("one partition: reactions are appended after their causes, and causal order holds", async () => {
    const { code, result, history } = await runFile("react-one", [
      ...REACT,
      "partitions: 1",
      "lateGroup: { joinAtS: 1, start: earliest }",
    ]);
    expect(result.status).toBe("completed");
    const reactionSends = history.filter(
      (l) => l.f === "send" && l.type === "ok" && typeof l.process === "number" && l.process > 4,
    );
    expect(reactionSends.length).toBeGreaterThan(0);
    expect(result.verdict?.valid).toBe(true);
    expect(code).toBe(0);
    expect(result.verdict?.counts.causal ?? 0).toBe(0);
  });

  it("four partitions replayed by a late group: the checker finds the causal violations that happen", async () => {
    const { code, result } = await runFile("react-four", [
      ...REACT,
      "partitions: 4",
      "lateGroup: { joinAtS: 1, start: earliest }",
    ]);
    // The late group replays partition after partition: a reaction in one before its cause in another.
    expect(result.status).toBe("completed");
    const causal = result.verdict?.counts.causal ?? 0;
    expect(causal).toBeGreaterThan(0);
    expect(result.verdict?.valid).toBe(false);
    expect(code).not.toBe(0); // an invalid verdict fails the run command
  });
});
