/**
 * QueueGrant (key 22), version 0. Gives a queue member room for `n` more unacked messages.
 *
 *   request:  group string, memberId string, n int32
 *   response: errorCode int16, errorMessage string
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";

export interface QueueGrantRequest {
  readonly group: string;
  readonly memberId: string;
  readonly n: number;
}

export const queueGrant = defineApi<QueueGrantRequest, ErrorPart>({
  key: 22,
  name: "QueueGrant",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest: (w, req) => void w.string(req.group).string(req.memberId).int32(req.n),
  decodeRequest: (r) => ({ group: r.text("group"), memberId: r.text("memberId"), n: r.int32() }),
  ...errorOnlyResponse,
});
