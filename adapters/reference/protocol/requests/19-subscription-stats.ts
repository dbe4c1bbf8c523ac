/**
 * SubscriptionStats (key 19), version 0. The counters of a live push subscription (drops, buffer).
 *
 *   request:  subscriptionId int32
 *   response: errorCode int16, errorMessage string, SubscriptionStats (see 18-unsubscribe.ts)
 */
import { defineApi } from "../api.js";
import { type SubscriptionStatsResponse, statsResponseCodec } from "./18-unsubscribe.js";

export const subscriptionStats = defineApi<{ readonly subscriptionId: number }, SubscriptionStatsResponse>({
  key: 19,
  name: "SubscriptionStats",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest: (w, req) => void w.int32(req.subscriptionId),
  decodeRequest: (r) => ({ subscriptionId: r.int32() }),
  ...statsResponseCodec,
});
