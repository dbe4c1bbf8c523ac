/** `brokerbench check` through the real CLI entry (no process spawned). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { drain, history, meta, poll, sendOk } from "../../../checkers/test/history-dsl.js";
import { jsonLinesFileToCompact } from "../../../core/history/from-json-lines.js";
import { main } from "../cli.js";

const dir = mkdtempSync(join(tmpdir(), "bb-check-"));
const file = (name: string, lines: readonly string[], end = "\n") => {
  const path = join(dir, name);
  writeFileSync(path, lines.join("\n") + end);
  return path;
};
const lost = history(
  meta("at-least-once", "partition"),
  sendOk(1, [
    ["1-0", 0, 0],
    ["1-1", 0, 1],
  ]),
  poll(7, "g", [["1-0", 0, 0]]),
  drain("g"),
);

let printed: string[] = [];
beforeEach(() => {
  printed = [];
  vi.spyOn(console, "log").mockImplementation((s: string) => void printed.push(s));
  vi.spyOn(console, "error").mockImplementation((s: string) => void printed.push(s));
});
afterEach(() => vi.restoreAllMocks());

describe("brokerbench check", () => {
  it("exit 1 on an invalid history, with counts, witnesses and the verdict", async () => {
    expect(await main(["check", file("lost.jsonl", lost)])).toBe(1);
    const text = printed.join("\n");
    expect(text).toMatch(/group g \(drained; 1 delivered, 0 recovered\)/);
    expect(text).toMatch(/lost\s+1 {2}FORBIDDEN/);
    expect(text).toMatch(/1-1 was acknowledged but never delivered/);
    expect(text).toMatch(/^\s+3: \{"type":"ok","f":"send"/m);
    expect(text).toMatch(/INVALID: lost 1$/);
  });
  it("flags override the meta expectation; --json prints the verdict object", async () => {
    expect(
      await main(["check", file("lost2.jsonl", lost), "--delivery", "none", "--json", "--witnesses", "0"]),
    ).toBe(0);
    const v = JSON.parse(printed.join("\n"));
    expect(v.valid).toBe(true);
    expect(v.expect).toEqual({ delivery: "none", order: "partition" });
    expect(v.counts.lost).toBe(1);
    expect(v.groups[0].anomalies.lost.witnesses).toEqual([]);
  });
  it("exit 2 with the line number on a malformed line", async () => {
    const bad = [...lost.slice(0, 2), "{not json", ...lost.slice(2)];
    expect(await main(["check", file("bad.jsonl", bad)])).toBe(2);
    expect(printed.join("\n")).toMatch(/bad\.jsonl:3: not valid JSON/);
  });
  it("a truncated last line is reported and skipped", async () => {
    const path = file("trunc.jsonl", [...lost, '{"type":"ok","f":"po'], "");
    expect(await main(["check", path])).toBe(1);
    expect(printed.join("\n")).toMatch(/trunc\.jsonl:7: truncated last line skipped/);
  });
  it("exit 2 on a missing file", async () => {
    expect(await main(["check", join(dir, "nope.jsonl")])).toBe(2);
  });
  it("exit 2 when there is nothing to judge: an empty history, or only its meta line", async () => {
    // Defect 2 of issue 11: these printed VALID with exit 0.
    expect(await main(["check", file("empty.jsonl", [], "")])).toBe(2);
    expect(printed.join("\n")).toMatch(/empty\.jsonl: nothing to judge: the history is empty/);
    printed = [];
    expect(await main(["check", file("meta-only.jsonl", lost.slice(0, 1))])).toBe(2);
    expect(printed.join("\n")).toMatch(
      /meta-only\.jsonl: nothing to judge: no message was sent or delivered in its 1 line\(s\)/,
    );
    expect(printed.join("\n")).not.toMatch(/VALID/);
  });
  it("exit 2 on a binary file, without a control byte reaching the terminal", async () => {
    // Defect 7: a binary file's bytes were echoed raw (escape sequences, bells) in the message.
    const nul = join(dir, "ls.bin");
    writeFileSync(nul, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0x1b, 0x5b, 0x33, 0x31, 0x6d]));
    expect(await main(["check", nul])).toBe(2);
    expect(printed.join("\n")).toMatch(/ls\.bin: not a history \(a NUL byte at offset 7\)/);
    printed = [];
    const esc = join(dir, "esc.txt");
    writeFileSync(esc, "\x1b[31mRED\x07\n");
    expect(await main(["check", esc])).toBe(2);
    const text = printed.join("\n");
    expect(text).toMatch(/esc\.txt:1: not valid JSON/);
    expect(text).toContain("\\x1b[31mRED\\x07");
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    printed = [];
    expect(await main(["check", dir])).toBe(2);
    expect(printed.join("\n")).toMatch(/is a directory/);
  });
  it("reads a compact history as it reads its JSON lines", async () => {
    const jsonl = file("lost3.jsonl", lost);
    const compact = join(dir, "lost3.bbh");
    jsonLinesFileToCompact(jsonl, compact);
    expect(await main(["check", compact])).toBe(1);
    const fromCompact = printed.join("\n").replace(compact, "H");
    printed = [];
    expect(await main(["check", jsonl])).toBe(1);
    expect(printed.join("\n").replace(jsonl, "H")).toBe(fromCompact);
    expect(fromCompact).toMatch(/^\s+3: \{"type":"ok","f":"send"/m);
  });
});
