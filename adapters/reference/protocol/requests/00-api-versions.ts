/**
 * ApiVersions (key 0), versions 0–1. Which request types and versions the server speaks; a client
 * sends v0 first (always spoken) and uses, per request type, the highest version both sides know.
 *
 *   request:  (empty)
 *   response: errorCode int16, errorMessage string (every response starts with these two)
 *             apis array<[key int16][minVersion int16][maxVersion int16]>
 *             brokerVersion string
 *             v1: maxFrameBytes int32 — the largest frame the server reads; a bigger one closes the
 *                 connection, so a client refuses such a request before writing it (as Kafka's
 *                 client refuses a record above max.request.size): a definite failure, not a lost
 *                 connection with every request in flight unknown.
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
  /** v1: the server's frame cap; absent from a v0 answer. */
  readonly maxFrameBytes?: number;
}

export const apiVersions = defineApi<Record<string, never>, ApiVersionsResponse>({
  key: 0,
  name: "ApiVersions",
  minVersion: 0,
  maxVersion: 1,
  encodeRequest() {},
  decodeRequest: () => ({}),
  encodeResponse(w, res, version) {
    writeError(w, res);
    w.array(res.apis, (w, a) => w.int16(a.key).int16(a.minVersion).int16(a.maxVersion));
    w.string(res.brokerVersion);
    if (version >= 1) w.int32(res.maxFrameBytes ?? 0);
  },
  decodeResponse(r, version) {
    const e = readError(r);
    const apis = r.array((r) => ({ key: r.int16(), minVersion: r.int16(), maxVersion: r.int16() }), 6);
    const brokerVersion = r.text("brokerVersion");
    if (version < 1) return { ...e, apis, brokerVersion };
    return { ...e, apis, brokerVersion, maxFrameBytes: r.int32() };
  },
  errorResponse: (e) => ({ ...e, apis: [], brokerVersion: "" }),
});
