/**
 * The shape of one request type: its key, the versions this code speaks, and four pure codecs.
 * Each request type lives in requests/NN-name.ts and is listed once in apis.ts, the table that
 * dispatches and answers ApiVersions.
 */
import type { Reader, Writer } from "./codec.js";

export interface ApiSpec<Req, Res> {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  encodeRequest(w: Writer, req: Req, version: number): void;
  decodeRequest(r: Reader, version: number): Req;
  encodeResponse(w: Writer, res: Res, version: number): void;
  decodeResponse(r: Reader, version: number): Res;
  /** The response carrying only an error (a BrokerError thrown while handling). */
  errorResponse(e: ErrorPart): Res;
  /** About how many bytes the request encodes to, where it can be large (to size its frame once). */
  requestBytes?(req: Req): number;
}

export function defineApi<Req, Res>(spec: ApiSpec<Req, Res>): ApiSpec<Req, Res> {
  return spec;
}

export type RequestOf<A> = A extends ApiSpec<infer Req, unknown> ? Req : never;
export type ResponseOf<A> = A extends ApiSpec<unknown, infer Res> ? Res : never;

/** Every response begins with an error code (0 = none) and a message (null when none). */
export interface ErrorPart {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/**
 * No error. Responses on the per-message paths (produce, fetch, push) are written as literals with
 * every field named instead of spreading this or `readError`'s result: V8 promoted the objects a
 * spread made to its old generation. Decoding produce answers as `{ ...readError(r), … }` at
 * 700 k msg/s, the harness promoted 40.5–40.8 MB in a 13 s run and did 4 full collections; with
 * literals 7.7 MB and 1 (`--trace-gc-nvp`, two alternating runs each; --no-allocation-site-pretenuring
 * did not change it). Elsewhere a spread is fine.
 */
export const NO_ERROR: ErrorPart = { errorCode: 0, errorMessage: null };

export function writeError(w: Writer, e: ErrorPart): void {
  w.int16(e.errorCode).string(e.errorMessage);
}

export function readError(r: Reader): ErrorPart {
  return { errorCode: r.int16(), errorMessage: r.string() };
}

/** Codecs of a response that is only its error part. */
export const errorOnlyResponse = {
  encodeResponse(w: Writer, res: ErrorPart): void {
    writeError(w, res);
  },
  decodeResponse(r: Reader): ErrorPart {
    return readError(r);
  },
  errorResponse(e: ErrorPart): ErrorPart {
    return e;
  },
};
