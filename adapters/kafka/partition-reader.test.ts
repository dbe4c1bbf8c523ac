/**
 * The read_committed filter of `readPartition`, for every log of interleaved transactional and
 * plain writes: exactly the records of committed transactions and plain writes remain, also when
 * the fetch response is cut short before an abort marker (the broker still lists that aborted
 * transaction, and the client's own filter would keep its records).
 */
import type { RecordsBatch } from "@platformatic/kafka";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AbortedTransaction, committedRecords } from "./partition-reader.js";

const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;

/** One write: producer p appends a record (in its open transaction, or plain), or ends its transaction. */
type Op = { p: number; kind: "record" | "plain" | "commit" | "abort" };
const opArb = fc.record({
  p: fc.integer({ min: 1, max: 3 }),
  kind: fc.constantFrom("record", "record", "plain", "commit", "abort"),
}) as fc.Arbitrary<Op>;

interface Log {
  readonly batches: RecordsBatch[];
  readonly aborted: AbortedTransaction[];
  /** Offsets a read_committed reader must see. */
  readonly visible: bigint[];
}

function batch(offset: bigint, producerId: bigint, attributes: number, key: Buffer | null): RecordsBatch {
  return {
    firstOffset: offset,
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: 0,
    firstTimestamp: 0n,
    maxTimestamp: 0n,
    producerId,
    producerEpoch: 0,
    firstSequence: 0,
    records: [
      {
        length: 0,
        attributes: 0,
        timestampDelta: 0n,
        offsetDelta: 0,
        key,
        value: Buffer.from("v"),
        headers: [],
      },
    ],
  };
}

const marker = (type: number) => {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  return key;
};

/** The log the broker would hold after `ops`, every transaction decided at the end (below the LSO). */
function logOf(ops: readonly Op[], endings: readonly boolean[]): Log {
  const batches: RecordsBatch[] = [];
  const aborted: AbortedTransaction[] = [];
  const visible: bigint[] = [];
  const open = new Map<number, { first: bigint; offsets: bigint[] }>();
  let offset = 0n;
  const end = (p: number, commit: boolean) => {
    const t = open.get(p);
    if (t === undefined) return;
    open.delete(p);
    batches.push(batch(offset, BigInt(p), IS_TRANSACTIONAL | IS_CONTROL, marker(commit ? 1 : 0)));
    offset++;
    if (commit) visible.push(...t.offsets);
    else aborted.push({ producerId: BigInt(p), firstOffset: t.first });
  };
  for (const op of ops) {
    if (op.kind === "plain") {
      // A non-transactional producer id (10+): its records are always visible.
      batches.push(batch(offset, BigInt(10 + op.p), 0, Buffer.from("k")));
      visible.push(offset++);
    } else if (op.kind === "record") {
      const t = open.get(op.p) ?? { first: offset, offsets: [] };
      open.set(op.p, t);
      batches.push(batch(offset, BigInt(op.p), IS_TRANSACTIONAL, Buffer.from("k")));
      t.offsets.push(offset++);
    } else end(op.p, op.kind === "commit");
  }
  for (const [i, p] of [...open.keys()].entries()) end(p, endings[i] ?? false);
  visible.sort((a, b) => (a < b ? -1 : 1));
  return { batches, aborted, visible };
}

describe("readPartition's read_committed filter", () => {
  it("keeps exactly the committed and plain records, for every interleaving", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        (ops, endings) => {
          const log = logOf(ops, endings);
          expect(committedRecords(log.batches, log.aborted).map((r) => r.offset)).toEqual(log.visible);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("a response cut short before an abort marker still drops that transaction's records", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        fc.nat(),
        (ops, endings, cutAt) => {
          const log = logOf(ops, endings);
          const cut = log.batches.length === 0 ? 0 : cutAt % (log.batches.length + 1);
          const prefix = log.batches.slice(0, cut);
          const last = cut === 0 ? -1n : prefix[cut - 1]!.firstOffset;
          // The broker lists every aborted transaction that starts within the fetched range.
          const expected = log.visible.filter((o) => o <= last);
          expect(committedRecords(prefix, log.aborted).map((r) => r.offset)).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
