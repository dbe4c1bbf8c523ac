/**
 * Credit (key 16), version 0. Grants a credit-flow subscription `credit` more messages.
 *
 *   request:  subscriptionId int32, credit int32
 *   response: errorCode int16, errorMessage string   (SUBSCRIPTION_CLOSED)
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";

export interface CreditRequest {
  readonly subscriptionId: number;
  readonly credit: number;
}

export const credit = defineApi<CreditRequest, ErrorPart>({
  key: 16,
  name: "Credit",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest: (w, req) => void w.int32(req.subscriptionId).int32(req.credit),
  decodeRequest: (r) => ({ subscriptionId: r.int32(), credit: r.int32() }),
  ...errorOnlyResponse,
});
