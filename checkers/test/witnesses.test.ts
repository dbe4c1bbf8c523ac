/** Witness lines read back from a file by number, and long lines cut around their message. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkHistoryFile } from "../check.js";
import { shorten, WITNESS_TEXT_CHARS } from "../lines.js";
import { drain, history, meta, type Pos, poll, sendOk } from "./history-dsl.js";

describe("witness lines", () => {
  it("are the file's lines, far past the sparse line index's stride, from both readers", async () => {
    const sends = Array.from({ length: 150 }, (_, i) => sendOk(1, [[`1-${i}`, 0, i]])).flat();
    const polled: Pos[] = Array.from({ length: 150 }, (_, i): Pos => [`1-${i}`, 0, i]).filter(
      (_, i) => i !== 120,
    );
    const lines = history(meta("at-least-once", "none"), sends, poll(7, "g", polled), drain("g"));
    const path = join(mkdtempSync(join(tmpdir(), "bb-witness-")), "h.jsonl");
    writeFileSync(path, `${lines.join("\n")}\n`);
    for (const reader of ["scan", "json"] as const) {
      const v = await checkHistoryFile(path, { reader, threads: 0 });
      const w = v.groups[0]?.anomalies.lost?.witnesses[0];
      expect(w?.message).toMatch(/^1-120 was acknowledged/);
      expect(w?.lines.map((l) => l.line)).toEqual([243, lines.length]);
      expect(w?.lines[0]?.text).toBe(lines[242]);
      expect(w?.lines[1]?.text).toBe(lines[lines.length - 1]);
    }
  });

  it("longer than the limit are cut around the cited message", () => {
    const entries = Array.from(
      { length: 200 },
      (_, i) => `{"id":"1-${i}","topic":"t","partition":0,"offset":${i}}`,
    );
    const line = `{"type":"ok","f":"poll","process":7,"group":"g","value":[${entries.join(",")}]}`;
    const cut = shorten(line, "1-150");
    expect(cut.length).toBeLessThan(WITNESS_TEXT_CHARS + 40);
    expect(cut).toContain(`{"id":"1-150","topic":"t","partition":0,"offset":150}`);
    expect(cut.startsWith(`{"type":"ok","f":"poll","process":7`)).toBe(true);
    expect(cut).toMatch(/\(\d+ chars\)$/);
  });
});
