/**
 * LeaveGroup (key 12), version 0. Leaves at once (the group rebalances without waiting for a timeout).
 *
 *   request:  group string, memberId string
 *   response: errorCode int16, errorMessage string
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";
import type { MemberIdRequest } from "./11-heartbeat.js";

export const leaveGroup = defineApi<MemberIdRequest, ErrorPart>({
  key: 12,
  name: "LeaveGroup",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest: (w, req) => void w.string(req.group).string(req.memberId),
  decodeRequest: (r) => ({ group: r.text("group"), memberId: r.text("memberId") }),
  ...errorOnlyResponse,
});
