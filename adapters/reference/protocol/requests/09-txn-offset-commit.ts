/**
 * TxnOffsetCommit (key 9), version 0. Commits a group's offsets inside the producer's transaction
 * (consume-transform-produce): they take effect only if the transaction commits.
 *
 *   request:  producerId int64, producerEpoch int16, group string, memberId string (null: standalone),
 *             generation int32, offsets array<Position>
 *   response: errorCode int16, errorMessage string
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";
import { MIN_BYTES, type Position, readPosition, writePosition } from "../common.js";

export interface TxnOffsetCommitRequest {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly group: string;
  readonly memberId: string | null;
  readonly generation: number;
  readonly offsets: readonly Position[];
}

export const txnOffsetCommit = defineApi<TxnOffsetCommitRequest, ErrorPart>({
  key: 9,
  name: "TxnOffsetCommit",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest(w, req) {
    w.int64(req.producerId)
      .int16(req.producerEpoch)
      .string(req.group)
      .string(req.memberId)
      .int32(req.generation);
    w.array(req.offsets, writePosition);
  },
  decodeRequest: (r) => ({
    producerId: r.int64(),
    producerEpoch: r.int16(),
    group: r.text("group"),
    memberId: r.string(),
    generation: r.int32(),
    offsets: r.array(readPosition, MIN_BYTES.position),
  }),
  ...errorOnlyResponse,
});
