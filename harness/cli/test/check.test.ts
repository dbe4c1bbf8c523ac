/** `brokerbench check` through the real CLI entry (no process spawned). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { drain, history, meta, poll, sendOk } from "../../../checkers/test/history-dsl.js";
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
});
