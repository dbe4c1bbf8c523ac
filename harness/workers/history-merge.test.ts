import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, describe, expect, it } from "vitest";
import { readHistoryText } from "../../core/history/compact-file.js";
import { HistoryRecorder } from "../history/index.js";
import { segmentBody } from "./history-merge.js";

const dir = mkdtempSync(join(tmpdir(), "bb-history-merge-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A worker's lines: a batch of its producer (process base + 1) sent, acknowledged and delivered. */
async function workerHistory(path: string, base: number): Promise<void> {
  const r = new HistoryRecorder(path, { thread: "main", blockBytes: 64 });
  const batch = { process: base + 1, topic: "t", firstSeq: 0, count: 3, keys: null };
  r.sendInvoke(batch);
  r.sendOk(batch, [
    { partition: 0, offset: base },
    { partition: 0, offset: base + 1 },
    { partition: 0, offset: base + 2 },
  ]);
  r.drain("g1", false); // a worker writes none in a run; here it marks where its lines are
  await r.close();
}

async function merged(encoding: "compact" | "jsonl"): Promise<string> {
  const ext = encoding === "compact" ? "bbh" : "jsonl";
  const path = join(dir, `run.${ext}`);
  const head = new HistoryRecorder(path, { thread: "main" });
  head.meta({
    adapter: "nats",
    workload: "w",
    model: "queue",
    expect: { delivery: "at-most-once", order: "none" },
  });
  head.drain("g1", true);
  await head.close();
  for (const base of [0, 100_000]) {
    const part = join(dir, `w${base}.${ext}`);
    await workerHistory(part, base);
    await pipeline(
      createReadStream(part),
      segmentBody(encoding, `w${base}`),
      createWriteStream(path, { flags: "a" }),
    );
  }
  return encoding === "compact" ? readHistoryText(path) : readFileSync(path, "utf8");
}

describe("segmentBody: a worker's history appended to the run's", () => {
  it("gives the same lines in either encoding: the coordinator's, then each worker's in order", async () => {
    // Recorded twice: only the recorders' clocks differ.
    const untimed = (text: string) => text.replace(/"time":\d+/g, '"time":0');
    const compact = await merged("compact");
    const jsonl = await merged("jsonl");
    expect(untimed(compact)).toBe(untimed(jsonl));
    const lines = jsonl
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { f: string; process?: number });
    expect(lines.map((l) => l.f)).toEqual([
      "meta",
      "drain",
      "send",
      "send",
      "drain",
      "send",
      "send",
      "drain",
    ]);
    expect(lines.filter((l) => l.f === "send").map((l) => l.process)).toEqual([1, 1, 100_001, 100_001]);
  });

  it("refuses a file that is not a compact history where one is expected", async () => {
    const path = join(dir, "not-compact");
    await expect(
      pipeline(
        (async function* () {
          yield Buffer.from('{"type":"ok","f":"meta"}\\n');
        })(),
        segmentBody("compact", "w9"),
        createWriteStream(path),
      ),
    ).rejects.toThrow("worker w9: its history is not a compact history file");
  });
});
