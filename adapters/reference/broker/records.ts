/**
 * The broker's own records in its internal logs:
 *
 * - `__cluster` (one partition): key = record type, payload = JSON. Types: `topic` (created or
 *   deleted), `producer-ids` (the next free producer id), `txn` (a transactional id's producer id,
 *   epoch and transaction state).
 * - `__consumer_offsets` (one logical partition): key = group NUL topic NUL partition, payload = the
 *   committed offset in decimal (-1: deleted with its topic). Compacted by rolling: a snapshot of
 *   every committed offset is written to the next physical partition, which `__cluster` then names. Transactional offset commits are transactional batches there and
 *   take effect with the transaction's commit marker, as in Kafka.
 */
import type { RecordInput } from "../storage/partition-log.js";

export const CLUSTER_LOG = "__cluster";
export const OFFSETS_LOG = "__consumer_offsets";
export const INTERNAL_TOPICS: readonly string[] = [CLUSTER_LOG, OFFSETS_LOG];

export type TxnPhase =
  | "empty"
  | "ongoing"
  | "prepare-commit"
  | "prepare-abort"
  | "complete-commit"
  | "complete-abort";

export interface TxnPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export type ClusterRecord =
  | { readonly type: "topic"; readonly name: string; readonly partitions: number; readonly deleted: boolean }
  | { readonly type: "producer-ids"; readonly next: number }
  /** `__consumer_offsets` was rolled: its live data is in this physical partition (compaction). */
  | { readonly type: "offsets-log"; readonly partition: number }
  | {
      readonly type: "txn";
      readonly transactionalId: string;
      readonly producerId: number;
      readonly epoch: number;
      readonly phase: TxnPhase;
      readonly partitions: readonly TxnPartitionRef[];
      readonly timeoutMs: number;
    };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeClusterRecord(r: ClusterRecord): RecordInput {
  return { key: r.type, payload: encoder.encode(JSON.stringify(r)) };
}

export function decodeClusterRecord(payload: Uint8Array): ClusterRecord {
  return JSON.parse(decoder.decode(payload)) as ClusterRecord;
}

export interface OffsetRecord {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export function encodeOffsetRecord(r: OffsetRecord): RecordInput {
  // ASCII digits by hand: TextEncoder is slow for a handful of bytes on the commit path.
  const digits = String(r.offset);
  const payload = new Uint8Array(digits.length);
  for (let i = 0; i < digits.length; i++) payload[i] = digits.charCodeAt(i);
  return { key: `${r.group}\u0000${r.topic}\u0000${r.partition}`, payload };
}

export function decodeOffsetRecord(key: string | null, payload: Uint8Array): OffsetRecord | null {
  if (key === null) return null;
  const parts = key.split("\u0000");
  if (parts.length !== 3) return null;
  const offset = Number(decoder.decode(payload));
  const partition = Number(parts[2]);
  // offset -1 is a tombstone: the topic was deleted.
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(partition)) return null;
  return { group: parts[0]!, topic: parts[1]!, partition, offset };
}
