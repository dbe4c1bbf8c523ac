/**
 * EndTxn (key 8), version 0. Commits or aborts the producer's open transaction: markers are written
 * to every partition it touched, and read-committed readers see its records (commit) or never do.
 *
 *   request:  producerId int64, producerEpoch int16, commit bool
 *   response: errorCode int16, errorMessage string   (INVALID_PRODUCER_EPOCH when fenced, INVALID_TXN_STATE)
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";

export interface EndTxnRequest {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly commit: boolean;
}

export const endTxn = defineApi<EndTxnRequest, ErrorPart>({
  key: 8,
  name: "EndTxn",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest: (w, req) => void w.int64(req.producerId).int16(req.producerEpoch).bool(req.commit),
  decodeRequest: (r) => ({ producerId: r.int64(), producerEpoch: r.int16(), commit: r.bool() }),
  ...errorOnlyResponse,
});
