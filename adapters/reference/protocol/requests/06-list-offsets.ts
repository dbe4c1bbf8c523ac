/**
 * ListOffsets (key 6), version 0. The earliest retained offset or the end of a partition's log.
 *
 *   request:  topic string, partition int32, which int8 (0 earliest, 1 latest)
 *   response: errorCode int16, errorMessage string, offset int64
 */
import { defineApi, type ErrorPart, readError, writeError } from "../api.js";
import { readEnum, writeEnum } from "../common.js";

export const WHICH_OFFSET = ["earliest", "latest"] as const;

export interface ListOffsetsRequest {
  readonly topic: string;
  readonly partition: number;
  readonly which: (typeof WHICH_OFFSET)[number];
}

export const listOffsets = defineApi<ListOffsetsRequest, ErrorPart & { readonly offset: number }>({
  key: 6,
  name: "ListOffsets",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest(w, req) {
    w.string(req.topic).int32(req.partition);
    writeEnum(w, WHICH_OFFSET, req.which);
  },
  decodeRequest: (r) => ({
    topic: r.text("topic"),
    partition: r.int32(),
    which: readEnum(r, WHICH_OFFSET, "which"),
  }),
  encodeResponse(w, res) {
    writeError(w, res);
    w.int64(res.offset);
  },
  decodeResponse: (r) => ({ ...readError(r), offset: r.int64() }),
  errorResponse: (e) => ({ ...e, offset: -1 }),
});
