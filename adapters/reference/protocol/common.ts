/**
 * Structures several request types share:
 *
 *   TopicPartition  [topic string][partition int32]
 *   Position        [topic string][partition int32][offset int64]
 *   Record          [offset int64][key string][payload bytes]
 *   MemberState     [memberId string][generation int32][assignment array<TopicPartition>]
 *                   [ownedSince array<int32>] (per assigned partition: generation owned since, unbroken)
 */
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
