/** `brokerbench history`: converts between the two encodings, losslessly, through the real CLI entry. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";

const dir = mkdtempSync(join(tmpdir(), "bb-history-cli-"));
const lines = [
  `{"type":"ok","f":"meta","value":{"format":1,"adapter":"reference","workload":"w","model":"log","expect":{"delivery":"at-least-once","order":"partition"}}}`,
  `{"type":"invoke","f":"send","process":1,"time":10,"value":[{"id":"1-0","topic":"t"},{"id":"1-1","topic":"t"}]}`,
  `{"type":"ok","f":"send","process":1,"time":20,"value":[{"id":"1-0","topic":"t","partition":0,"offset":0},{"id":"1-1","topic":"t","partition":0,"offset":1}]}`,
  `{"type":"ok","f":"poll","process":5,"group":"g1","time":30,"value":[{"id":"1-0","topic":"t","partition":0,"offset":0,"redelivered":false}]}`,
  `{"type":"ok","f":"drain","group":"g1","time":40,"value":{"complete":true}}`,
];

let printed: string[] = [];
beforeEach(() => {
  printed = [];
  vi.spyOn(console, "log").mockImplementation((s: string) => void printed.push(s));
  vi.spyOn(console, "error").mockImplementation((s: string) => void printed.push(s));
});
afterEach(() => vi.restoreAllMocks());

describe("brokerbench history", () => {
  it("encodes JSON lines compactly and renders them back byte for byte", async () => {
    const jsonl = join(dir, "h.jsonl");
    writeFileSync(jsonl, `${lines.join("\n")}\n`);
    expect(await main(["history", jsonl, "-o", join(dir, "h.bbh")])).toBe(0);
    expect(printed.join("\n")).toMatch(/h\.bbh: 5 lines \(2 kept whole\)/);
    expect(readFileSync(join(dir, "h.bbh")).subarray(0, 4)).toEqual(Buffer.from([0x89, 0x42, 0x42, 0x48]));
    expect(await main(["history", join(dir, "h.bbh"), "-o", join(dir, "back.jsonl")])).toBe(0);
    expect(readFileSync(join(dir, "back.jsonl"), "utf8")).toBe(readFileSync(jsonl, "utf8"));
  });

  it("refuses, in one line with exit 2: no output for JSON lines, a missing or damaged file", async () => {
    const jsonl = join(dir, "r.jsonl");
    writeFileSync(jsonl, `${lines.join("\n")}\n`);
    expect(await main(["history", jsonl])).toBe(2);
    expect(printed.join("\n")).toMatch(/is JSON lines already; name the compact file to write with --out/);
    expect(await main(["history", join(dir, "nope.bbh")])).toBe(2);
    expect(await main(["history", jsonl, "-o", jsonl])).toBe(2);
    expect(await main(["history", jsonl, "-o", join(dir, "r.bbh")])).toBe(0);
    const bytes = readFileSync(join(dir, "r.bbh"));
    bytes[40] = bytes[40]! ^ 0xff; // a byte of the first block's payload, with another block after it
    writeFileSync(join(dir, "bad.bbh"), Buffer.concat([bytes, bytes.subarray(16)]));
    printed = [];
    expect(await main(["history", join(dir, "bad.bbh"), "-o", join(dir, "bad.jsonl")])).toBe(2);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^brokerbench: .*bad\.bbh: block at byte 16 .*damaged \(CRC mismatch\)$/);
  });
});
