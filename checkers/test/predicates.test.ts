/**
 * Groups that subscribed with a predicate (meta `predicates`, message `props` on sends, the
 * HISTORY.md extension): each is judged against the messages its predicate matches, by both
 * readers alike.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkHistory, checkHistoryFile } from "../check.js";

const line = (o: Record<string, unknown>) => JSON.stringify(o);
const meta = (predicates: Record<string, string>) =>
  line({
    type: "ok",
    f: "meta",
    value: { format: 1, model: "queue", expect: { delivery: "at-least-once", order: "none" }, predicates },
  });
const msgs = [
  { id: "1-0", topic: "t", props: { region: "eu", priority: 5 } },
  { id: "1-1", topic: "t", props: { region: "eu", priority: 2 } },
  { id: "1-2", topic: "t", props: { priority: 9, region: "us" } },
  { id: "1-3", topic: "t" }, // no properties: every comparison UNKNOWN
  { id: "1-4", topic: "t", props: { region: "eu", priority: "7" } },
];
const sends = [
  line({ type: "invoke", f: "send", process: 1, value: msgs }),
  line({ type: "ok", f: "send", process: 1, value: msgs.map((m) => ({ ...m, partition: 0, offset: null })) }),
];
const polled = (group: string, ids: readonly string[]) =>
  line({
    type: "ok",
    f: "poll",
    process: group === "g1" ? 7 : 8,
    group,
    value: ids.map((id) => ({ id, topic: "t", partition: 0, offset: null })),
  });
const drained = (group: string) => line({ type: "ok", f: "drain", group, value: { complete: true } });
const text = (lines: string[]) => `${lines.join("\n")}\n`;

const dir = mkdtempSync(join(tmpdir(), "bb-predicates-"));
let n = 0;
/** Every reader's verdict, which must be the same. */
async function judged(lines: string[]) {
  const path = join(dir, `h${n++}.jsonl`);
  writeFileSync(path, text(lines));
  const scan = await checkHistoryFile(path, { reader: "scan", threads: 0, witnesses: 3 });
  const json = await checkHistoryFile(path, { reader: "json", witnesses: 3 });
  expect(scan).toEqual(json);
  expect(checkHistory(text(lines), { witnesses: 3 })).toEqual(json);
  return json;
}

describe("groups with predicates", () => {
  const predicates = { g1: "region = 'eu' AND priority > 3", g2: "NOT region = 'eu'" };

  it("a group owes exactly its matches: valid when it got them and nothing else", async () => {
    const v = await judged([
      meta(predicates),
      ...sends,
      polled("g1", ["1-0"]),
      polled("g2", ["1-2"]),
      drained("g1"),
      drained("g2"),
    ]);
    expect(v.valid).toBe(true);
    expect(v.counts.lost).toBe(0);
    expect(v.counts.unexpected).toBe(0);
    expect(v.groups.map((g) => [g.group, g.delivered])).toEqual([
      ["g1", 1],
      ["g2", 1],
    ]);
  });

  it("a match never delivered is lost; a delivered non-match is unexpected, with its properties", async () => {
    const v = await judged([
      meta(predicates),
      ...sends,
      polled("g1", ["1-1", "1-4"]),
      polled("g2", ["1-3"]),
      drained("g1"),
      drained("g2"),
    ]);
    expect(v.valid).toBe(false);
    const g1 = v.groups.find((g) => g.group === "g1")!;
    const g2 = v.groups.find((g) => g.group === "g2")!;
    expect(g1.anomalies.lost?.count).toBe(1); // 1-0
    expect(g1.anomalies.unexpected?.count).toBe(2); // 1-1 (priority 2), 1-4 (priority '7', a string)
    expect(g2.anomalies.lost?.count).toBe(1); // 1-2
    expect(g2.anomalies.unexpected?.count).toBe(1); // 1-3: no properties, NOT UNKNOWN is UNKNOWN
    const witnesses = JSON.stringify(v.groups.flatMap((g) => g.anomalies.unexpected?.witnesses ?? []));
    expect(witnesses).toContain(`properties {\\"priority\\":2,\\"region\\":\\"eu\\"} do not match`);
    expect(witnesses).toContain("1-3 was delivered to g2 but its no properties do not match");
  });

  it("a group without a predicate owes every message, as before", async () => {
    const v = await judged([
      meta({ g1: "region = 'eu'" }),
      ...sends,
      polled("g2", ["1-0", "1-1"]),
      drained("g2"),
    ]);
    expect(v.groups.find((g) => g.group === "g2")!.anomalies.lost?.count).toBe(3);
  });

  it("refuses malformed predicates and properties, naming the line", async () => {
    expect(() => checkHistory(text([meta({ g1: "region >" }), ...sends]))).toThrow(
      /history:1: meta predicates.g1: "region >" at 9/,
    );
    const bad = line({
      type: "invoke",
      f: "send",
      process: 1,
      value: [{ id: "1-0", topic: "t", props: { a: [1] } }],
    });
    expect(() => checkHistory(text([meta({}), bad]))).toThrow(
      /history:2: "props".a: a property value is a string or a number/,
    );
  });
});
