/**
 * Metadata (key 1), version 0. The topics and their partition counts.
 *
 *   request:  (empty)
 *   response: errorCode int16, errorMessage string
 *             topics array<[name string][partitions int32]>
 */
import { defineApi, type ErrorPart, readError, writeError } from "../api.js";

export interface MetadataResponse extends ErrorPart {
  readonly topics: readonly { readonly name: string; readonly partitions: number }[];
}

export const metadata = defineApi<Record<string, never>, MetadataResponse>({
  key: 1,
  name: "Metadata",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest() {},
  decodeRequest: () => ({}),
  encodeResponse(w, res) {
    writeError(w, res);
    w.array(res.topics, (w, t) => w.string(t.name).int32(t.partitions));
  },
  decodeResponse(r) {
    const e = readError(r);
    return { ...e, topics: r.array((r) => ({ name: r.text("topic"), partitions: r.int32() }), 6) };
  },
  errorResponse: (e) => ({ ...e, topics: [] }),
});
