/**
 * DeleteTopic (key 3), version 0. Removes the topic and its data.
 *
 *   request:  name string
 *   response: errorCode int16, errorMessage string   (UNKNOWN_TOPIC_OR_PARTITION)
 */
import { defineApi, type ErrorPart, errorOnlyResponse } from "../api.js";

export const deleteTopic = defineApi<{ readonly name: string }, ErrorPart>({
  key: 3,
  name: "DeleteTopic",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest: (w, req) => void w.string(req.name),
  decodeRequest: (r) => ({ name: r.text("name") }),
  ...errorOnlyResponse,
});
