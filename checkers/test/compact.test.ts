/**
 * A compact history (core/history/compact.ts) is judged exactly as its JSON lines are: the same
 * verdict, counts, warnings and witness lines from the block decoder (compact-scan.ts) and from the
 * JSON.parse reader over its rendered lines, as from both readers of the JSON lines file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CompactFormatError } from "../../core/history/compact.js";
import { compactToJsonLines } from "../../core/history/compact-file.js";
import { jsonLinesFileToCompact } from "../../core/history/from-json-lines.js";
import { checkHistoryFile } from "../check.js";
import { type Rec, simulate } from "./simulated-broker.js";

const dir = mkdtempSync(join(tmpdir(), "bb-compact-check-"));
let n = 0;

/** A record as the recorder writes it: fields and message fields in the formatter's order. */
function recorderShape(r: Rec): string {
  const head: Record<string, unknown> = { type: r.type, f: r.f };
  if ("process" in r) head["process"] = r["process"];
  if ("group" in r) head["group"] = r["group"];
  if ("time" in r) head["time"] = r["time"];
  if (r.value === undefined) return JSON.stringify(head);
  if (!Array.isArray(r.value)) return JSON.stringify({ ...head, value: r.value });
  const order =
    r.f === "poll"
      ? ["id", "topic", "partition", "offset", "redelivered"]
      : r.f === "commit"
        ? ["topic", "partition", "offset"]
        : ["id", "topic", "key", "partition", "offset", "deps"];
  const value = (r.value as Record<string, unknown>[]).map((m) =>
    Object.fromEntries(order.filter((k) => k in m).map((k) => [k, m[k]])),
  );
  return JSON.stringify({ ...head, value });
}

interface Files {
  readonly jsonl: string;
  readonly compact: string;
  readonly eventLines: number;
  readonly lines: number;
}

function files(text: string, blockBytes?: number): Files {
  const jsonl = join(dir, `h${n}.jsonl`);
  const compact = join(dir, `h${n++}.bbh`);
  writeFileSync(jsonl, text);
  const r = jsonLinesFileToCompact(jsonl, compact, blockBytes === undefined ? {} : { blockBytes });
  return { jsonl, compact, eventLines: r.eventLines, lines: r.lines };
}

async function rendered(path: string): Promise<string> {
  const parts: Buffer[] = [];
  await compactToJsonLines(path, (c) => {
    parts.push(c);
  });
  return Buffer.concat(parts).toString("utf8");
}

async function verdicts(f: Files) {
  const opts = { witnesses: 3, threads: 0 } as const;
  return {
    jsonlScan: await checkHistoryFile(f.jsonl, { ...opts, reader: "scan" }),
    jsonlJson: await checkHistoryFile(f.jsonl, { ...opts, reader: "json" }),
    compactFast: await checkHistoryFile(f.compact, { ...opts, reader: "scan" }),
    compactJson: await checkHistoryFile(f.compact, { ...opts, reader: "json" }),
  };
}

describe("compact histories", () => {
  it("get the verdict of their JSON lines, from both readers, over one block or many", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(undefined, 200, 2000),
        async (seed, partitions, blockBytes) => {
          const recs = simulate({
            seed,
            producers: 2,
            partitions,
            groups: 2,
            consumersPerGroup: 2,
            steps: 60,
          });
          const text = `${recs.map(recorderShape).join("\n")}\n`;
          const f = files(text, blockBytes);
          // Sends, polls and commits travel as events, not as kept text.
          expect(f.eventLines).toBeGreaterThan(f.lines / 2);
          expect(await rendered(f.compact)).toBe(text);
          const v = await verdicts(f);
          expect(v.compactFast).toEqual(v.jsonlScan);
          expect(v.compactJson).toEqual(v.jsonlScan);
          expect(v.jsonlJson).toEqual(v.jsonlScan);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("keep lines of any other shape whole: odd, malformed and unterminated lines judged the same", async () => {
    const odd = [
      `{"type":"ok","f":"meta","value":{"model":"log","expect":{"delivery":"exactly-once","order":"key"}}}`,
      ` { "type" : "invoke" , "f" : "send" , "process" : 2 , "value" : [ { "id" : "2-0" , "topic" : "t" } ] } `,
      `{"type":"ok","f":"send","process":2,"time":5,"value":[{"id":"2-0","topic":"t","partition":0,"offset":0}]}`,
      `{"type":"ok","f":"poll","process":9,"group":"g","time":6,"value":[{"id":"2-0","topic":"t","partition":0,"offset":0,"redelivered":false},{"id":"2-0","topic":"t","partition":0,"offset":0,"redelivered":true}]}`,
      `{"type":"ok","f":"drain","group":"g","value":{"complete":true}}`,
    ];
    const f = files(`${odd.join("\n")}\n`);
    const v = await verdicts(f);
    expect(v.compactFast).toEqual(v.jsonlScan);
    expect(v.compactJson).toEqual(v.jsonlScan);
    expect(v.jsonlScan.counts["duplicate-delivery"]).toBe(1);
    expect(v.jsonlScan.groups[0]!.anomalies["duplicate-delivery"]!.witnesses[0]!.lines[0]!.line).toBe(4);

    // A malformed line in the middle: the same error, at the same line.
    const bad = files(`${odd[0]}\n{"type":"ok","f":\n${odd[2]}\n`);
    await expect(checkHistoryFile(bad.jsonl, { threads: 0 })).rejects.toThrow(/:2: not valid JSON/);
    await expect(checkHistoryFile(bad.compact, { threads: 0 })).rejects.toThrow(/:2: not valid JSON/);
    await expect(checkHistoryFile(bad.compact, { reader: "json" })).rejects.toThrow(/:2: not valid JSON/);

    // An unterminated, cut-short last line: skipped by the checker, left out by the conversion.
    const torn = files(`${odd.join("\n")}\n{"type":"ok","f":"po`);
    const t = await verdicts(torn);
    expect(t.jsonlScan.warnings.some((w) => /truncated last line/.test(w))).toBe(true);
    expect(t.compactFast.counts).toEqual(t.jsonlScan.counts);
    expect(t.compactFast.valid).toBe(t.jsonlScan.valid);
  });

  it("carry message properties (predicate groups) as events, judged as their JSON lines", async () => {
    const sent = (id: string, props: string, offset: number) =>
      `{"id":"${id}","topic":"t","props":${props},"partition":0,"offset":${offset}}`;
    const invoked = (id: string, props: string) => `{"id":"${id}","topic":"t","props":${props}}`;
    const eu = '{"region":"eu","priority":5}';
    const us = '{"region":"us","priority":9}';
    const lines = [
      `{"type":"ok","f":"meta","value":{"format":1,"model":"log","expect":{"delivery":"at-least-once","order":"none"},"predicates":{"g1":"region = 'eu'"}}}`,
      `{"type":"invoke","f":"send","process":1,"time":10,"value":[${invoked("1-0", eu)},${invoked("1-1", us)},${invoked("1-2", eu)}]}`,
      `{"type":"ok","f":"send","process":1,"time":20,"value":[${sent("1-0", eu, 0)},${sent("1-1", us, 1)},${sent("1-2", eu, 2)}]}`,
      // g1 gets 1-0 and, although its predicate does not match it, 1-1; it never gets 1-2.
      `{"type":"ok","f":"poll","process":7,"group":"g1","time":30,"value":[{"id":"1-0","topic":"t","partition":0,"offset":0,"redelivered":false},{"id":"1-1","topic":"t","partition":0,"offset":1,"redelivered":false}]}`,
      `{"type":"ok","f":"drain","group":"g1","time":40,"value":{"complete":true}}`,
    ];
    const f = files(`${lines.join("\n")}\n`);
    expect(f.eventLines).toBe(3); // both sends and the poll
    const v = await verdicts(f);
    expect(v.compactFast).toEqual(v.jsonlScan);
    expect(v.compactJson).toEqual(v.jsonlScan);
    expect(v.jsonlScan.counts.unexpected).toBe(1);
    expect(v.jsonlScan.counts.lost).toBe(1);
    expect(v.compactFast.valid).toBe(false);
  });

  it("refuse a block damaged in the middle, and skip a torn last block with a warning", async () => {
    const recs = simulate({
      seed: 3,
      producers: 2,
      partitions: 2,
      groups: 2,
      consumersPerGroup: 2,
      steps: 80,
    });
    const f = files(`${recs.map(recorderShape).join("\n")}\n`, 300);
    const whole = readFileSync(f.compact);
    const damaged = join(dir, "damaged.bbh");
    const copy = Buffer.from(whole);
    copy[40] = copy[40]! ^ 0x55;
    writeFileSync(damaged, copy);
    await expect(checkHistoryFile(damaged, { threads: 0 })).rejects.toThrow(CompactFormatError);
    await expect(checkHistoryFile(damaged, { reader: "json" })).rejects.toThrow(/damaged \(CRC mismatch\)/);
    const torn = join(dir, "torn.bbh");
    writeFileSync(torn, whole.subarray(0, whole.length - 7));
    for (const reader of ["scan", "json"] as const) {
      const v = await checkHistoryFile(torn, { threads: 0, reader });
      expect(v.warnings.some((w) => /incomplete.*skipped/.test(w))).toBe(true);
      expect(v.lines).toBeLessThan(f.lines);
    }
  });
});
