/**
 * Reassign (key 17), version 0. Moves a push subscription to new partitions and offsets (after a
 * rebalance, or a seek). Chunks already sent for the old positions may still arrive before the
 * response; the client discards deliveries of partitions it no longer owns.
 *
 *   request:  subscriptionId int32, positions array<Position>
 *   response: errorCode int16, errorMessage string
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";
import { MIN_BYTES, type Position, readPosition, writePosition } from "../common.js";

export interface ReassignRequest {
  readonly subscriptionId: number;
  readonly positions: readonly Position[];
}

export const reassign = defineApi<ReassignRequest, ErrorPart>({
  key: 17,
  name: "Reassign",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest: (w, req) => void w.int32(req.subscriptionId).array(req.positions, writePosition),
  decodeRequest: (r) => ({ subscriptionId: r.int32(), positions: r.array(readPosition, MIN_BYTES.position) }),
  ...errorOnlyResponse,
});
