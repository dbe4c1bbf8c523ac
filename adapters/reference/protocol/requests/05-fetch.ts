/**
 * Fetch (key 5), versions 0-1. Pull: records from each position, up to maxRecords in total and about
 * maxBytes per partition; when nothing is there, the server holds the request up to waitMs (long
 * poll) and answers as soon as something is appended.
 *
 *   request:  waitMs int32, maxRecords int32, maxBytes int32, isolation int8 (0 read_uncommitted,
 *             1 read_committed), group string (null: none; with a group the broker flags
 *             redeliveries), positions array<Position>
 *   response: errorCode int16, errorMessage string
 *             partitions array<[topic string][partition int32][errorCode int16]
 *                              [highWatermark int64][lastStableOffset int64][logStartOffset int64]
 *                              [nextOffset int64][redeliveredBelow int64] records>
 *               v0 records: array<Record>
 *               v1 records: array<RecordSet> (common.ts: the log's own encoding, copied as it is)
 *
 * redeliveredBelow: records below this offset were delivered to the group before (0: none).
 *
 * OFFSET_OUT_OF_RANGE comes per partition with logStartOffset/highWatermark: the client moves there.
 */
import { defineApi, type ErrorPart, readError, writeError } from "../api.js";
import type { Writer } from "../codec.js";
import {
  MIN_BYTES,
  MIN_RECORD_SET_BYTES,
  type Position,
  type RecordSet,
  readEnum,
  readPosition,
  readRecord,
  readRecordSet,
  recordSetRecords,
  toRecordSets,
  type WireRecord,
  writeEnum,
  writePosition,
  writeRecord,
  writeRecordSet,
} from "../common.js";

export const ISOLATIONS = ["read_uncommitted", "read_committed"] as const;
export type WireIsolation = (typeof ISOLATIONS)[number];

export interface FetchRequest {
  readonly waitMs: number;
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly isolation: WireIsolation;
  readonly group: string | null;
  readonly positions: readonly Position[];
}

interface FetchPartitionHead {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly nextOffset: number;
  readonly redeliveredBelow: number;
}

/** A partition's answer as the client reads it: its records as record sets, in offset order. */
export interface FetchPartition extends FetchPartitionHead {
  readonly sets: readonly RecordSet[];
}

/**
 * Where the server encodes records from, without building arrays first: each record (v0), or each
 * run of consecutive records in the log's encoding (v1).
 */
export interface RecordSource {
  readonly recordCount: number;
  forEachRecord(each: (rec: WireRecord) => void): void;
  forEachSet(each: (baseOffset: number, count: number, bytes: Uint8Array) => void): void;
}

/** A partition's answer as the server writes it. */
export interface FetchPartitionOut extends FetchPartitionHead {
  readonly records: RecordSource;
}

export interface FetchResponse extends ErrorPart {
  readonly partitions: readonly (FetchPartition | FetchPartitionOut)[];
}

export interface FetchResponseIn extends ErrorPart {
  readonly partitions: readonly FetchPartition[];
}

/** The source of plain record sets (a decoded answer encoded again, tests). */
function setsSource(sets: readonly RecordSet[]): RecordSource {
  let recordCount = 0;
  for (const s of sets) recordCount += s.count;
  return {
    recordCount,
    forEachRecord: (each) => {
      for (const rec of recordSetRecords(sets)) each(rec);
    },
    forEachSet: (each) => {
      for (const s of sets) each(s.baseOffset, s.count, s.bytes);
    },
  };
}

/** Writes `source` as v0 records or v1 record sets. */
export function writeRecords(w: Writer, source: RecordSource, version: number): void {
  if (version === 0) {
    w.int32(source.recordCount);
    source.forEachRecord((rec) => writeRecord(w, rec));
    return;
  }
  const at = w.length;
  let n = 0;
  w.int32(0);
  source.forEachSet((baseOffset, count, bytes) => {
    writeRecordSet(w, baseOffset, count, bytes);
    n++;
  });
  w.patchUint32(at, n);
}

/** Reads v0 records (grouped into sets) or v1 record sets. */
export function readRecords(r: import("../codec.js").Reader, version: number): RecordSet[] {
  if (version === 0) return toRecordSets(r.array(readRecord, MIN_BYTES.record));
  return r.array(readRecordSet, MIN_RECORD_SET_BYTES);
}

export const fetch = defineApi<FetchRequest, FetchResponse>({
  key: 5,
  name: "Fetch",
  minVersion: 0,
  maxVersion: 1,
  encodeRequest(w, req) {
    w.int32(req.waitMs).int32(req.maxRecords).int32(req.maxBytes);
    writeEnum(w, ISOLATIONS, req.isolation);
    w.string(req.group);
    w.array(req.positions, writePosition);
  },
  decodeRequest(r) {
    const waitMs = r.int32();
    const maxRecords = r.int32();
    const maxBytes = r.int32();
    const isolation = readEnum(r, ISOLATIONS, "isolation");
    const group = r.string();
    return {
      waitMs,
      maxRecords,
      maxBytes,
      isolation,
      group,
      positions: r.array(readPosition, MIN_BYTES.position),
    };
  },
  encodeResponse(w, res, version) {
    writeError(w, res);
    w.array(res.partitions, (w, p) => {
      w.string(p.topic).int32(p.partition).int16(p.errorCode);
      w.int64(p.highWatermark).int64(p.lastStableOffset).int64(p.logStartOffset).int64(p.nextOffset);
      w.int64(p.redeliveredBelow);
      writeRecords(w, "sets" in p ? setsSource(p.sets) : p.records, version);
    });
  },
  decodeResponse(r, version): FetchResponseIn {
    const e = readError(r);
    const partitions = r.array(
      (r) => ({
        topic: r.text("topic"),
        partition: r.int32(),
        errorCode: r.int16(),
        highWatermark: r.int64(),
        lastStableOffset: r.int64(),
        logStartOffset: r.int64(),
        nextOffset: r.int64(),
        redeliveredBelow: r.int64(),
        sets: readRecords(r, version),
      }),
      52,
    );
    // A literal, not a spread: api.ts NO_ERROR says why.
    return { errorCode: e.errorCode, errorMessage: e.errorMessage, partitions };
  },
  errorResponse: (e) => ({ ...e, partitions: [] }),
});
