/**
 * InitProducerId (key 7), version 0. An idempotent producer's id, or (with a transactional id)
 * the id and a new epoch that fences older instances and finishes their open transaction.
 *
 *   request:  transactionalId string (null: idempotent only), transactionTimeoutMs int32 (-1 default)
 *   response: errorCode int16, errorMessage string, producerId int64, producerEpoch int16
 */
import { defineApi, type ErrorPart, readError, writeError } from "../api.js";

export interface InitProducerIdRequest {
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
}

export interface InitProducerIdResponse extends ErrorPart {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export const initProducerId = defineApi<InitProducerIdRequest, InitProducerIdResponse>({
  key: 7,
  name: "InitProducerId",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest: (w, req) => void w.string(req.transactionalId).int32(req.transactionTimeoutMs),
  decodeRequest: (r) => ({ transactionalId: r.string(), transactionTimeoutMs: r.int32() }),
  encodeResponse(w, res) {
    writeError(w, res);
    w.int64(res.producerId).int16(res.producerEpoch);
  },
  decodeResponse: (r) => ({ ...readError(r), producerId: r.int64(), producerEpoch: r.int16() }),
  errorResponse: (e) => ({ ...e, producerId: -1, producerEpoch: -1 }),
});
