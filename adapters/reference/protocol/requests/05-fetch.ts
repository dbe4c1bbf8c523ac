/**
 * Fetch (key 5), version 0. Pull: records from each position, up to maxRecords in total and about
 * maxBytes per partition; when nothing is there, the server holds the request up to waitMs (long
 * poll) and answers as soon as something is appended.
 *
 *   request:  waitMs int32, maxRecords int32, maxBytes int32, isolation int8 (0 read_uncommitted,
 *             1 read_committed), group string (null: none; with a group the broker flags
 *             redeliveries), positions array<Position>
 *   response: errorCode int16, errorMessage string
 *             partitions array<[topic string][partition int32][errorCode int16]
 *                              [highWatermark int64][lastStableOffset int64][logStartOffset int64]
 *                              [nextOffset int64][redeliveredBelow int64][records array<Record>]>
 *
 * redeliveredBelow: records below this offset were delivered to the group before (0: none).
 *
 * OFFSET_OUT_OF_RANGE comes per partition with logStartOffset/highWatermark: the client moves there.
 */
import { defineApi, type ErrorPart, readError, writeError } from "../api.js";
import {
  MIN_BYTES,
  type Position,
  readEnum,
  readPosition,
  readRecord,
  type WireRecord,
  writeEnum,
  writePosition,
  writeRecord,
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

export interface FetchPartition {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly nextOffset: number;
  readonly redeliveredBelow: number;
  readonly records: readonly WireRecord[];
}

/**
 * The server encodes records straight from the log's batches (no intermediate array): it passes
 * `writeRecords`, the client gets `records`.
 */
export interface FetchPartitionOut extends Omit<FetchPartition, "records"> {
  readonly recordCount: number;
  writeRecords(each: (rec: WireRecord) => void): void;
}

export interface FetchResponse extends ErrorPart {
  readonly partitions: readonly (FetchPartition | FetchPartitionOut)[];
}

export interface FetchResponseIn extends ErrorPart {
  readonly partitions: readonly FetchPartition[];
}

export const fetch = defineApi<FetchRequest, FetchResponse>({
  key: 5,
  name: "Fetch",
  minVersion: 0,
  maxVersion: 0,
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
  encodeResponse(w, res) {
    writeError(w, res);
    w.array(res.partitions, (w, p) => {
      w.string(p.topic).int32(p.partition).int16(p.errorCode);
      w.int64(p.highWatermark).int64(p.lastStableOffset).int64(p.logStartOffset).int64(p.nextOffset);
      w.int64(p.redeliveredBelow);
      if ("records" in p) w.array(p.records, writeRecord);
      else {
        w.int32(p.recordCount);
        p.writeRecords((rec) => writeRecord(w, rec));
      }
    });
  },
  decodeResponse(r): FetchResponseIn {
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
        records: r.array(readRecord, MIN_BYTES.record),
      }),
      52,
    );
    return { ...e, partitions };
  },
  errorResponse: (e) => ({ ...e, partitions: [] }),
});
