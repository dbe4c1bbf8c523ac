/**
 * Structures several request types share:
 *
 *   TopicPartition  [topic string][partition int32]
 *   Position        [topic string][partition int32][offset int64]
 *   Record          [offset int64][key string][payload bytes]
 *   MemberState     [memberId string][generation int32][assignment array<TopicPartition>]
 *                   [ownedSince array<int32>] (per assigned partition: generation owned since, unbroken)
 *   RecordSet       [baseOffset int64][count int32][records bytes]: `count` records with offsets
 *                   baseOffset, baseOffset + 1, ...; the bytes are the log's own record encoding
 *                   (STORAGE.md): per record [keyLength int32, -1 null][key][payloadLength int32][payload]
 */
import { EncodedRecords, visitSection } from "../storage/record-section.js";
import { ProtocolError, type Reader, type Writer } from "./codec.js";

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface Position extends TopicPartitionRef {
  readonly offset: number;
}

export interface WireRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly payload: Uint8Array;
}

export interface WireMemberState {
  readonly memberId: string;
  readonly generation: number;
  readonly assignment: readonly TopicPartitionRef[];
  readonly ownedSince: readonly number[];
}

/** Smallest encodings, for bounding array counts by the bytes left. */
export const MIN_BYTES = { topicPartition: 6, position: 14, record: 14 } as const;

export function writeTopicPartition(w: Writer, p: TopicPartitionRef): void {
  w.string(p.topic).int32(p.partition);
}

export function readTopicPartition(r: Reader): TopicPartitionRef {
  return { topic: r.text("topic"), partition: r.int32() };
}

export function writePosition(w: Writer, p: Position): void {
  w.string(p.topic).int32(p.partition).int64(p.offset);
}

export function readPosition(r: Reader): Position {
  return { topic: r.text("topic"), partition: r.int32(), offset: r.int64() };
}

export function writeRecord(w: Writer, rec: WireRecord): void {
  w.int64(rec.offset).string(rec.key).bytes(rec.payload);
}

export function readRecord(r: Reader): WireRecord {
  const offset = r.int64();
  const key = r.string();
  const payload = r.bytes();
  if (payload === null) return { offset, key, payload: new Uint8Array(0) };
  return { offset, key, payload };
}

export function writeMemberState(w: Writer, m: WireMemberState): void {
  w.string(m.memberId).int32(m.generation).array(m.assignment, writeTopicPartition);
  w.array(m.ownedSince, (w, g) => w.int32(g));
}

export function readMemberState(r: Reader): WireMemberState {
  return {
    memberId: r.text("memberId"),
    generation: r.int32(),
    assignment: r.array(readTopicPartition, MIN_BYTES.topicPartition),
    ownedSince: r.array((r) => r.int32(), 4),
  };
}

/** Enumerations travel as int8 indexes into a fixed list. */
export function writeEnum<T extends string>(w: Writer, values: readonly T[], v: T): void {
  const i = values.indexOf(v);
  if (i < 0) throw new RangeError(`"${v}" is not one of ${values.join(", ")}`);
  w.int8(i);
}

export function readEnum<T extends string>(r: Reader, values: readonly T[], what: string): T {
  const i = r.int8();
  const v = values[i];
  if (v === undefined) throw new ProtocolError(`${what}: ${i} is not one of ${values.join(", ")}`);
  return v;
}

/**
 * Consecutive records in the log's own encoding (version 1 of Produce, Fetch and pushes): the server
 * copies them from the log as they are, the client reads them in place.
 */
export interface RecordSet {
  readonly baseOffset: number;
  readonly count: number;
  readonly bytes: Buffer;
}

/** Smallest RecordSet: offset, count, empty bytes. */
export const MIN_RECORD_SET_BYTES = 16;

export function writeRecordSet(w: Writer, baseOffset: number, count: number, bytes: Uint8Array): void {
  w.int64(baseOffset).int32(count).bytes(bytes);
}

/** A RecordSet whose bytes are checked to hold exactly `count` well-formed records. */
export function readRecordSet(r: Reader): RecordSet {
  const baseOffset = r.int64();
  const count = r.int32();
  const bytes = r.bytes() ?? Buffer.alloc(0);
  const checked = EncodedRecords.check(bytes, count);
  if (checked === null)
    throw new ProtocolError(`record set at ${baseOffset}: not ${count} well-formed records`);
  return { baseOffset, count, bytes };
}

/** The records of record sets as objects (payloads are views). */
export function recordSetRecords(sets: readonly RecordSet[]): WireRecord[] {
  const out: WireRecord[] = [];
  for (const s of sets) {
    visitSection(s.bytes, 0, s.baseOffset, 0, s.count, (offset, key, payload) =>
      out.push({ offset, key, payload }),
    );
  }
  return out;
}

/** Consecutive runs of `records` (by offset) as record sets, for encoders handed record objects. */
export function toRecordSets(records: readonly WireRecord[]): RecordSet[] {
  const out: RecordSet[] = [];
  let i = 0;
  while (i < records.length) {
    let j = i + 1;
    while (j < records.length && records[j]!.offset === records[j - 1]!.offset + 1) j++;
    const run = records.slice(i, j);
    out.push({ baseOffset: run[0]!.offset, count: run.length, bytes: EncodedRecords.encode(run).bytes });
    i = j;
  }
  return out;
}
