/**
 * Heartbeat (key 11), version 0. Keeps the member alive; answers the group's current generation and
 * the member's assignment, so a member learns of a rebalance on its next heartbeat.
 *
 *   request:  group string, memberId string
 *   response: errorCode int16, errorMessage string, MemberState   (UNKNOWN_MEMBER_ID: rejoin)
 */
import { defineApi } from "../api.js";
import { type MemberResponse, memberResponseCodec } from "./10-join-group.js";

export interface MemberIdRequest {
  readonly group: string;
  readonly memberId: string;
}

export const heartbeat = defineApi<MemberIdRequest, MemberResponse>({
  key: 11,
  name: "Heartbeat",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest: (w, req) => void w.string(req.group).string(req.memberId),
  decodeRequest: (r) => ({ group: r.text("group"), memberId: r.text("memberId") }),
  ...memberResponseCodec,
});
