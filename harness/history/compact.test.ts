/**
 * The compact encoding loses nothing: whatever a run records, the compact history renders back to
 * the very bytes the JSON lines recorder writes for the same calls (so the spec of docs/HISTORY.md
 * holds for it line for line), in one block or in many.
 */
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import type { Delivery, SendAck } from "../../adapters/contract.js";
import { CompactFormatError } from "../../core/history/compact.js";
import { compactToJsonLines, isCompactFile } from "../../core/history/compact-file.js";
import { HistoryRecorder } from "./recorder.js";

// Both recorders must see the same clock: the test sets it before each call.
const clock = vi.hoisted(() => ({ now: 0 }));
vi.mock("../../core/clock.js", async (original) => ({
  ...(await original<typeof import("../../core/clock.js")>()),
  monoNs: () => clock.now,
}));

const tmp = () => mkdtempSync(join(tmpdir(), "bb-compact-"));

async function exported(path: string): Promise<{ text: string; truncated: string | null }> {
  const parts: Buffer[] = [];
  const r = await compactToJsonLines(path, (chunk) => {
    parts.push(chunk);
  });
  return { text: Buffer.concat(parts).toString("utf8"), truncated: r.truncated };
}

type Call = (r: HistoryRecorder) => void;

const names = fc.constantFrom("t0", "t1", "bb-1a2b3c-0", 'odd "topic"\\', "tópico");
const keyArb = fc.option(fc.constantFrom("k0", "k1", "k42", 'k"q', "ключ"), { nil: null });
const offsetArb = fc.oneof(
  { weight: 6, arbitrary: fc.nat(5000) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 40, 2 ** 53 - 1, 2 ** 53 + 2, 1.5) },
);

/** Message properties (workload `predicates`), as the recorder gets them: JSON objects' text. */
const propsArb = fc.constantFrom(
  '{"region":"eu","priority":5}',
  '{"region":"us"}',
  "{}",
  '{"note":"a \\"quoted\\" é"}',
);

/** Offsets for `n` messages: mostly runs (as brokers assign them), sometimes anything. */
function offsetsArb(n: number): fc.Arbitrary<(number | null)[]> {
  return fc.oneof(
    fc
      .tuple(fc.nat(1_000_000), fc.nat(n))
      .map(([base, gap]) => Array.from({ length: n }, (_, i) => base + i + (i >= gap ? 3 : 0))),
    fc.constant(Array.from({ length: n }, () => null)),
    fc.array(offsetArb, { minLength: n, maxLength: n }),
  );
}

const sendArb: fc.Arbitrary<Call> = fc
  .record({
    process: fc.integer({ min: 1, max: 9 }),
    source: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
    topic: names,
    firstSeq: fc.oneof(fc.nat(100_000), fc.constantFrom(2 ** 26 - 2, 2 ** 31 + 5)),
    count: fc.integer({ min: 1, max: 12 }),
    keyed: fc.boolean(),
    propertied: fc.boolean(),
    outcome: fc.constantFrom("invoke", "ok", "fail", "info"),
    partitions: fc.array(fc.nat(3), { minLength: 12, maxLength: 12 }),
    samePartition: fc.boolean(),
  })
  .chain((s) =>
    fc
      .tuple(
        fc.array(keyArb, { minLength: s.count, maxLength: s.count }),
        offsetsArb(s.count),
        fc.array(propsArb, { minLength: s.count, maxLength: s.count }),
      )
      .map(([keys, offsets, props]): Call => {
        const batch = {
          process: s.process,
          ...(s.source !== undefined ? { source: s.source } : {}),
          topic: s.topic,
          firstSeq: s.firstSeq,
          count: s.count,
          keys: s.keyed ? keys : null,
          ...(s.propertied ? { props } : {}),
        };
        const acks: SendAck[] = offsets.map((offset, i) => ({
          partition: s.samePartition ? s.partitions[0]! : s.partitions[i]!,
          offset,
        }));
        return (r) => {
          if (s.outcome === "invoke") r.sendInvoke(batch);
          else if (s.outcome === "ok") r.sendOk(batch, acks);
          else r.sendFailed(batch, s.outcome === "fail", "broker said no");
        };
      }),
  );

const pollArb: fc.Arbitrary<Call> = fc
  .record({
    process: fc.integer({ min: 10, max: 14 }),
    group: fc.constantFrom("g1", "g2", "late", 'g"x'),
    count: fc.integer({ min: 0, max: 15 }),
    proc: fc.integer({ min: 1, max: 4 }),
    seq: fc.nat(100_000),
    topic: names,
    partition: fc.nat(3),
    redelivered: fc.boolean(),
    shuffle: fc.boolean(),
    commit: fc.constantFrom("none", "offsets", "acks"),
  })
  .chain((p) =>
    fc
      .tuple(offsetsArb(p.count), fc.array(fc.nat(3), { minLength: p.count, maxLength: p.count }))
      .map(([offsets, jitter]): Call => {
        const procs = new Uint32Array(p.count);
        const seqs = new Uint32Array(p.count);
        const deliveries: Delivery[] = [];
        for (let i = 0; i < p.count; i++) {
          procs[i] = p.shuffle ? p.proc + jitter[i]! : p.proc;
          seqs[i] = p.seq + i + (p.shuffle ? jitter[i]! : 0);
          deliveries.push({
            topic: p.shuffle && jitter[i] === 3 ? "t1" : p.topic,
            partition: p.partition,
            offset: offsets[i]!,
            key: null,
            payload: new Uint8Array(0),
            redelivered: p.shuffle ? jitter[i] === 2 : p.redelivered,
          });
        }
        const ids = { procs, seqs };
        return (r) => {
          r.pollInvoke(p.process, p.group);
          r.pollOk(p.process, p.group, deliveries, ids);
          if (p.commit === "offsets")
            r.commit(
              p.process,
              p.group,
              {
                kind: "offsets",
                offsets: [
                  { topic: p.topic, partition: p.partition, offset: p.seq },
                  { topic: "t1", partition: 0, offset: -1 },
                ],
              },
              ids,
              p.count,
            );
          else if (p.commit === "acks")
            r.commit(p.process, p.group, { kind: "acks", count: p.count }, ids, p.count);
        };
      }),
  );

const otherArb: fc.Arbitrary<Call> = fc.oneof(
  fc.constant<Call>((r) =>
    r.meta({
      adapter: "reference",
      workload: "w",
      model: "log",
      expect: { delivery: "at-least-once", order: "partition" },
    }),
  ),
  fc.constant<Call>((r) =>
    r.assign(11, "g1", { partitions: [{ topic: "t0", partition: 1 }], from: "earliest" }),
  ),
  fc.constant<Call>((r) => r.crash(12)),
  fc.constant<Call>((r) => r.fault("broker-crash", "broker", "start")),
  fc.constant<Call>((r) => r.info(13, "commit", "g2", "lost the connection\nand a newline")),
  fc.boolean().map<Call>((complete) => (r) => r.drain("g1", complete)),
);

const callsArb = fc.array(
  fc.oneof({ weight: 3, arbitrary: sendArb }, { weight: 3, arbitrary: pollArb }, otherArb),
  {
    maxLength: 60,
  },
);

async function recordBoth(
  calls: readonly Call[],
  blockBytes: number,
): Promise<{ jsonl: string; compact: string }> {
  const dir = tmp();
  const jsonl = join(dir, "h.jsonl");
  const compact = join(dir, "h.bbh");
  const a = new HistoryRecorder(jsonl, { thread: "main" });
  const b = new HistoryRecorder(compact, { thread: "main", blockBytes });
  for (const [i, call] of calls.entries()) {
    // Mostly close together, sometimes far apart or (another thread's clock) backwards.
    clock.now += i % 7 === 6 ? -3 : i % 5 === 4 ? 2 ** 40 : 1 + i * 13;
    call(a);
    call(b);
  }
  await a.close();
  await b.close();
  return { jsonl, compact };
}

describe("compact history encoding", () => {
  it("renders back to exactly the JSON lines recorded for the same calls, across blocks", async () => {
    await fc.assert(
      fc.asyncProperty(callsArb, fc.integer({ min: 1, max: 400 }), async (calls, blockBytes) => {
        const { jsonl, compact } = await recordBoth(calls, blockBytes);
        expect(isCompactFile(compact)).toBe(true);
        expect(isCompactFile(jsonl)).toBe(false);
        const back = await exported(compact);
        expect(back.truncated).toBeNull();
        expect(back.text).toBe(readFileSync(jsonl, "utf8"));
      }),
      { numRuns: 150 },
    );
  });

  it("skips a block cut short at the end of the file, and refuses one damaged in the middle", async () => {
    const calls = fc.sample(callsArb, { numRuns: 1, seed: 7 })[0]!;
    const many: Call[] = [];
    for (let i = 0; i < 40; i++) many.push(...calls);
    const { jsonl, compact } = await recordBoth(many, 300);
    const whole = readFileSync(compact);
    const size = statSync(compact).size;
    // Torn: the last 10 bytes never reached the disk.
    const torn = join(tmp(), "torn.bbh");
    writeFileSync(torn, whole.subarray(0, size - 10));
    const back = await exported(torn);
    expect(back.truncated).toMatch(/incomplete/);
    expect(readFileSync(jsonl, "utf8").startsWith(back.text)).toBe(true);
    expect(back.text.length).toBeGreaterThan(0);
    // Damaged: one byte flipped in the first block's payload.
    const damaged = join(tmp(), "damaged.bbh");
    const copy = Buffer.from(whole);
    copy[40] = copy[40]! ^ 0xff;
    writeFileSync(damaged, copy);
    await expect(exported(damaged)).rejects.toThrow(CompactFormatError);
    await expect(exported(damaged)).rejects.toThrow(/block at byte 16 \(lines 1–\d+\): damaged/);
    // A garbage tail that looks like a whole block is a torn last write, not an error.
    const tail = join(tmp(), "tail.bbh");
    writeFileSync(tail, whole);
    appendFileSync(tail, Buffer.from([4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 1, 2, 3, 4]));
    const t = await exported(tail);
    expect(t.truncated).toMatch(/CRC mismatch/);
    expect(t.text).toBe(readFileSync(jsonl, "utf8"));
  });
});
