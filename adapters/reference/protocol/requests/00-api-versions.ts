/**
 * ApiVersions (key 0), version 0. Which request types and versions the server speaks; a client
 * sends it first and uses, per request type, the highest version both sides know.
 *
 *   request:  (empty)
 *   response: errorCode int16, errorMessage string (every response starts with these two)
 *             apis array<[key int16][minVersion int16][maxVersion int16]>
 *             brokerVersion string
 */
import { defineApi, type ErrorPart, readError, writeError } from "../api.js";

export interface ApiVersionRange {
  readonly key: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface ApiVersionsResponse extends ErrorPart {
  readonly apis: readonly ApiVersionRange[];
  readonly brokerVersion: string;
}

export const apiVersions = defineApi<Record<string, never>, ApiVersionsResponse>({
  key: 0,
  name: "ApiVersions",
  minVersion: 0,
  maxVersion: 0,
  encodeRequest() {},
  decodeRequest: () => ({}),
  encodeResponse(w, res) {
    writeError(w, res);
    w.array(res.apis, (w, a) => w.int16(a.key).int16(a.minVersion).int16(a.maxVersion));
    w.string(res.brokerVersion);
  },
  decodeResponse(r) {
    const e = readError(r);
    const apis = r.array((r) => ({ key: r.int16(), minVersion: r.int16(), maxVersion: r.int16() }), 6);
    return { ...e, apis, brokerVersion: r.text("brokerVersion") };
  },
  errorResponse: (e) => ({ ...e, apis: [], brokerVersion: "" }),
});
