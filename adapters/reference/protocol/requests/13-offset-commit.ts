/**
 * OffsetCommit (key 13), version 0. Commits the next offsets to read into the broker's offsets log,
 * as durably as the server's flush policy makes data (`--flush always`: fsynced before the
 * answer); rejected for a stale generation.
 *
 *   request:  group string, memberId string (null with generation -1: standalone, only for an
 *             empty group), generation int32, offsets array<Position>
 *   response: errorCode int16, errorMessage string   (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID)
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";
import { MIN_BYTES, type Position, readPosition, writePosition } from "../common.js";

export interface OffsetCommitRequest {
  readonly group: string;
  readonly memberId: string | null;
  readonly generation: number;
  readonly offsets: readonly Position[];
}

export const offsetCommit = defineApi<OffsetCommitRequest, ErrorPart>({
  key: 13,
  name: "OffsetCommit",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest(w, req) {
    w.string(req.group).string(req.memberId).int32(req.generation);
    w.array(req.offsets, writePosition);
  },
  decodeRequest: (r) => ({
    group: r.text("group"),
    memberId: r.string(),
    generation: r.int32(),
    offsets: r.array(readPosition, MIN_BYTES.position),
  }),
  ...errorOnlyResponse,
});
