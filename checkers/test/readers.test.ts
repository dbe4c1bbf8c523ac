/**
 * The byte scanner and the JSON.parse reader must build the same index: same verdict on every
 * history, whatever its formatting (whitespace, escapes, field order, odd values), and the
 * scanner cut into chunks anywhere between lines.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkHistory, checkHistoryFile, verdictOf } from "../check.js";
import { HistoryParseError } from "../errors.js";
import { HistoryBuilder } from "../history-index.js";
import { memoryLines } from "../lines.js";
import { LocalNames, Replayer } from "../replay.js";
import { Scanner } from "../scan.js";
import { simulate } from "./simulated-broker.js";

const dir = mkdtempSync(join(tmpdir(), "bb-readers-"));
let n = 0;
const write = (text: string) => {
  const path = join(dir, `h${n++}.jsonl`);
  writeFileSync(path, text);
  return path;
};
const both = async (text: string) => {
  const path = write(text);
  const scan = await checkHistoryFile(path, { reader: "scan", threads: 0, witnesses: 3 });
  const json = await checkHistoryFile(path, { reader: "json", witnesses: 3 });
  return { scan, json, memory: checkHistory(text, { witnesses: 3 }) };
};

describe("scanner and JSON reader agree", () => {
  it("on simulated histories, pretty or compact", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(0, 1),
        async (seed, partitions, spaced) => {
          const recs = simulate({
            seed,
            producers: 2,
            partitions,
            groups: 2,
            consumersPerGroup: 2,
            steps: 60,
          });
          const text = `${recs.map((r) => (spaced ? JSON.stringify(r, null, 1).replace(/\n/g, " ") : JSON.stringify(r))).join("\n")}\n`;
          const { scan, json, memory } = await both(text);
          expect(scan).toEqual(json);
          expect(scan).toEqual(memory);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("on odd but valid lines (escapes, numeric ids, value before f, unknown fields, nulls)", async () => {
    const lines = [
      `{"type":"ok","f":"meta","value":{"model":"log","expect":{"delivery":"exactly-once","order":"key"}}}`,
      `{"value":[{"id":"a\\"b","topic":"t","key":"k"}],"type":"invoke","f":"send","process":"p\\u0031"}`,
      `{"type":"ok","f":"send","process":"p\\u0031","value":[{"id":"a\\"b","topic":"t","key":"k","partition":0,"offset":0}]}`,
      ` { "type" : "invoke" , "f" : "send" , "process" : 2 , "extra" : {"x":[1,2,{"y":null}]}, "value" : [ { "id" : 17 , "topic" : "t" } ] } `,
      `{"type":"ok","f":"send","process":2,"value":[{"id":"17","topic":"t","partition":0,"offset":1.0}]}`,
      `{"type":"invoke","f":"send","process":3,"value":[{"id":"3-0","topic":"t","key":null,"deps":["17"]}]}`,
      `{"type":"info","f":"send","process":3}`,
      `{"type":"ok","f":"poll","process":9,"group":"g","value":[{"id":"a\\"b","topic":"t","partition":0,"offset":0},{"id":"3-0","topic":"t","partition":0,"offset":null}]}`,
      `{"type":"invoke","f":"poll","process":9,"group":"g"}`,
      `{"type":"ok","f":"poll","process":9,"group":"g","value":[{"id":"17","topic":"t","partition":0,"offset":1,"redelivered":true}]}`,
      `{"type":"ok","f":"commit","process":9,"group":"g","value":[{"topic":"t","partition":0,"offset":2}]}`,
      `{"type":"ok","f":"frobnicate","process":9}`,
      `{"type":"info","f":"fault","time":5,"value":{"kind":"broker-crash","target":"broker","phase":"start"}}`,
      `{"type":"ok","f":"drain","group":"g"}`,
      `{"type":"ok","f":"drain","group":"g","value":{"complete":true,"note":"done"}}`,
    ];
    const { scan, json, memory } = await both(`${lines.join("\n")}\n`);
    expect(scan).toEqual(json);
    expect(scan).toEqual(memory);
    expect(scan.messages).toEqual({ attempted: 3, acknowledged: 2, failed: 0, unknown: 1 });
    expect(scan.warnings.some((w) => w.includes("frobnicate"))).toBe(true);
    expect(scan.warnings.some((w) => w.includes("fault"))).toBe(false); // harness fault markers: skipped
  });

  it("name groups in the order their lines use them, whichever lines the scanner keeps whole", async () => {
    // g0 first appears in a line the scanner hands to JSON.parse (an escape), g1 in one it reads,
    // and g2 only on a poll invoke and a failed commit, which register nothing in either reader.
    const lines = [
      `{"type":"ok","f":"meta","value":{"model":"log","expect":{"delivery":"at-least-once","order":"none"}}}`,
      `{"type":"invoke","f":"poll","process":7,"group":"g2"}`,
      `{"type":"fail","f":"commit","process":7,"group":"g2","value":[{"topic":"t","partition":0,"offset":1}]}`,
      `{"type":"ok","f":"assign","process":8,"group":"g\u0030","value":{"partitions":[],"from":"committed"}}`,
      `{"type":"ok","f":"send","process":1,"value":[{"id":"1-0","topic":"t","partition":0,"offset":0}]}`,
      `{"type":"ok","f":"poll","process":9,"group":"g1","value":[{"id":"1-0","topic":"t","partition":0,"offset":0}]}`,
      `{"type":"ok","f":"poll","process":8,"group":"g0","value":[{"id":"1-0","topic":"t","partition":0,"offset":0}]}`,
    ];
    const { scan, json, memory } = await both(`${lines.join("\n")}\n`);
    expect(json.groups.map((g) => g.group)).toEqual(["g0", "g1"]);
    expect(scan).toEqual(json);
    expect(scan).toEqual(memory);
  });

  it("report a malformed line with its number, the same way", async () => {
    const text = `{"type":"ok","f":"drain","group":"g"}\n{"type":"ok","f":"poll","process":1,"group":"g","value":[{"topic":"t"}]}\n`;
    const path = write(text);
    await expect(checkHistoryFile(path, { reader: "scan", threads: 0 })).rejects.toThrow(
      /:2: poll: a message without "id"/,
    );
    await expect(checkHistoryFile(path, { reader: "json" })).rejects.toThrow(
      /:2: poll: a message without "id"/,
    );
    await expect(
      checkHistoryFile(write('{"type":"ok","f":"drain","group":"g"}\n{"type":"ok",\n{}\n'), { threads: 0 }),
    ).rejects.toThrow(HistoryParseError);
  });

  it("with chunks cut at any line boundary", () => {
    const recs = simulate({
      seed: 7,
      producers: 3,
      partitions: 2,
      groups: 2,
      consumersPerGroup: 2,
      steps: 80,
    });
    const text = `${recs.map((r) => JSON.stringify(r)).join("\n")}\n`;
    const bytes = new TextEncoder().encode(text);
    const whole = checkHistory(text, { witnesses: 0 });
    fc.assert(
      fc.property(fc.array(fc.nat(bytes.length), { maxLength: 6 }), (cuts) => {
        const bounds = [
          ...new Set(cuts.map((c) => bytes.indexOf(10, c) + 1).filter((c) => c > 0 && c < bytes.length)),
        ].sort((a, b) => a - b);
        const b = new HistoryBuilder();
        const replayer = new Replayer(b, "h");
        const scanner = new Scanner();
        const names = new LocalNames();
        let from = 0;
        let base = 0;
        for (const to of [...bounds, bytes.length]) {
          const r = scanner.scan(bytes.subarray(from, to), false);
          replayer.replay(r, names, base, to === bytes.length);
          base += r.lines;
          from = to;
        }
        b.lines = base;
        const ix = b.finish();
        expect(verdictOf(ix, memoryLines(text.split("\n")), { witnesses: 0 })).toEqual(whole);
      }),
      { numRuns: 30 },
    );
  });
});
