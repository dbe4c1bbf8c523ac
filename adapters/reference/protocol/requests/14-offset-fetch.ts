/**
 * OffsetFetch (key 14), version 0. A group's committed offsets for the given partitions.
 *
 *   request:  group string, partitions array<TopicPartition>
 *   response: errorCode int16, errorMessage string, offsets array<[topic][partition][offset int64, -1 none]>
 */
import { defineApi, type ErrorPart, readError, writeError } from "../api.js";
import {
  MIN_BYTES,
  type Position,
  readPosition,
  readTopicPartition,
  type TopicPartitionRef,
  writePosition,
  writeTopicPartition,
} from "../common.js";

export interface OffsetFetchRequest {
  readonly group: string;
  readonly partitions: readonly TopicPartitionRef[];
}

export interface OffsetFetchResponse extends ErrorPart {
  /** offset -1: nothing committed. */
  readonly offsets: readonly Position[];
}

export const offsetFetch = defineApi<OffsetFetchRequest, OffsetFetchResponse>({
  key: 14,
  name: "OffsetFetch",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest(w, req) {
    w.string(req.group).array(req.partitions, writeTopicPartition);
  },
  decodeRequest: (r) => ({
    group: r.text("group"),
    partitions: r.array(readTopicPartition, MIN_BYTES.topicPartition),
  }),
  encodeResponse(w, res) {
    writeError(w, res);
    w.array(res.offsets, writePosition);
  },
  decodeResponse: (r) => ({ ...readError(r), offsets: r.array(readPosition, MIN_BYTES.position) }),
  errorResponse: (e) => ({ ...e, offsets: [] }),
});
