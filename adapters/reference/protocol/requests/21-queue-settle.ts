/**
 * QueueSettle (key 21), version 0. Acks (processed, never redelivered) and nacks (redeliver) of
 * messages in flight to the member.
 *
 *   request:  group string, memberId string, acks array<Position>, nacks array<Position>
 *   response: errorCode int16, errorMessage string   (UNKNOWN_DELIVERY)
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";
import { MIN_BYTES, type Position, readPosition, writePosition } from "../common.js";

export interface QueueSettleRequest {
  readonly group: string;
  readonly memberId: string;
  readonly acks: readonly Position[];
  readonly nacks: readonly Position[];
}

export const queueSettle = defineApi<QueueSettleRequest, ErrorPart>({
  key: 21,
  name: "QueueSettle",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest(w, req) {
    w.string(req.group).string(req.memberId).array(req.acks, writePosition).array(req.nacks, writePosition);
  },
  decodeRequest: (r) => ({
    group: r.text("group"),
    memberId: r.text("memberId"),
    acks: r.array(readPosition, MIN_BYTES.position),
    nacks: r.array(readPosition, MIN_BYTES.position),
  }),
  ...errorOnlyResponse,
});
