/**
 * CreateTopic (key 2), version 0.
 *
 *   request:  name string, partitions int32
 *   response: errorCode int16, errorMessage string   (TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, ...)
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";

export interface CreateTopicRequest {
  readonly name: string;
  readonly partitions: number;
}

export const createTopic = defineApi<CreateTopicRequest, ErrorPart>({
  key: 2,
  name: "CreateTopic",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest: (w, req) => void w.string(req.name).int32(req.partitions),
  decodeRequest: (r) => ({ name: r.text("name"), partitions: r.int32() }),
  ...errorOnlyResponse,
});
