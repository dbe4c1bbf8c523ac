/**
 * Unsubscribe (key 18), version 0. Ends a push subscription (plain or queue) and answers its counters.
 *
 *   request:  subscriptionId int32
 *   response: errorCode int16, errorMessage string, SubscriptionStats:
 *             deliveredMessages int64, droppedMessages int64, bufferedMessages int64
 */
import { defineApi, type ErrorPart, readError, writeError } from "../api.js";
import type { Reader, Writer } from "../codec.js";

export interface WireSubscriptionStats {
  readonly deliveredMessages: number;
  readonly droppedMessages: number;
  readonly bufferedMessages: number;
}

export type SubscriptionStatsResponse = ErrorPart & WireSubscriptionStats;

export const statsResponseCodec = {
  encodeResponse(w: Writer, res: SubscriptionStatsResponse): void {
    writeError(w, res);
    w.int64(res.deliveredMessages).int64(res.droppedMessages).int64(res.bufferedMessages);
  },
  decodeResponse(r: Reader): SubscriptionStatsResponse {
    return {
      ...readError(r),
      deliveredMessages: r.int64(),
      droppedMessages: r.int64(),
      bufferedMessages: r.int64(),
    };
  },
  errorResponse(e: ErrorPart): SubscriptionStatsResponse {
    return { ...e, deliveredMessages: 0, droppedMessages: 0, bufferedMessages: 0 };
  },
};

export const unsubscribe = defineApi<{ readonly subscriptionId: number }, SubscriptionStatsResponse>({
  key: 18,
  name: "Unsubscribe",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest: (w, req) => void w.int32(req.subscriptionId),
  decodeRequest: (r) => ({ subscriptionId: r.int32() }),
  ...statsResponseCodec,
});
