/**
 * JoinGroup (key 10), version 0. Joins (memberId null) or rejoins a consumer group; the broker
 * rebalances at once and answers with the member's generation and assignment (one round trip,
 * unlike Kafka's Join+Sync: the broker computes the assignment itself).
 *
 *   request:  group string, memberId string (null first time), clientId string, topics array<string>,
 *             sessionTimeoutMs int32, strategy int8 (0 range, 1 roundrobin), mode int8 (0 log, 1 queue)
 *   response: errorCode int16, errorMessage string, MemberState
 */
import { defineApi, type ErrorPart, readError, writeError } from "../api.js";
import { readEnum, readMemberState, type WireMemberState, writeEnum, writeMemberState } from "../common.js";

export const STRATEGIES = ["range", "roundrobin"] as const;
export const GROUP_MODES = ["log", "queue"] as const;

export interface JoinGroupRequest {
  readonly group: string;
  readonly memberId: string | null;
  readonly clientId: string;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
  readonly strategy: (typeof STRATEGIES)[number];
  readonly mode: (typeof GROUP_MODES)[number];
}

export type MemberResponse = ErrorPart & WireMemberState;

export const memberResponseCodec = {
  encodeResponse(w: import("../codec.js").Writer, res: MemberResponse): void {
    writeError(w, res);
    writeMemberState(w, res);
  },
  decodeResponse(r: import("../codec.js").Reader): MemberResponse {
    return { ...readError(r), ...readMemberState(r) };
  },
  errorResponse(e: ErrorPart): MemberResponse {
    return { ...e, memberId: "", generation: -1, assignment: [], ownedSince: [] };
  },
};

export const joinGroup = defineApi<JoinGroupRequest, MemberResponse>({
  key: 10,
  name: "JoinGroup",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest(w, req) {
    w.string(req.group).string(req.memberId).string(req.clientId);
    w.array(req.topics, (w, t) => w.string(t));
    w.int32(req.sessionTimeoutMs);
    writeEnum(w, STRATEGIES, req.strategy);
    writeEnum(w, GROUP_MODES, req.mode);
  },
  decodeRequest: (r) => ({
    group: r.text("group"),
    memberId: r.string(),
    clientId: r.text("clientId"),
    topics: r.array((r) => r.text("topic"), 2),
    sessionTimeoutMs: r.int32(),
    strategy: readEnum(r, STRATEGIES, "strategy"),
    mode: readEnum(r, GROUP_MODES, "mode"),
  }),
  ...memberResponseCodec,
});
