/**
 * Error codes on the wire: the broker's table (../broker/errors.ts, Kafka's codes where Kafka has
 * the same error) plus the protocol's own, which only ever travel in FATAL frames.
 */
import { BROKER_ERRORS, type BrokerErrorInfo, errorByCode } from "../broker/errors.js";

export const PROTOCOL_ERRORS = {
  CORRUPT_MESSAGE: { code: 2, name: "CORRUPT_MESSAGE", retriable: false, message: "malformed frame" },
  UNSUPPORTED_VERSION: {
    code: 35,
    name: "UNSUPPORTED_VERSION",
    retriable: false,
    message: "the server does not speak this request type or version",
  },
  MESSAGE_TOO_LARGE: {
    code: 10,
    name: "MESSAGE_TOO_LARGE",
    retriable: false,
    message: "the frame exceeds the server's maximum frame size",
  },
} as const satisfies Record<string, BrokerErrorInfo>;

/** The table entry for any code a server may send. */
export function wireError(code: number): BrokerErrorInfo {
  for (const e of Object.values(PROTOCOL_ERRORS)) if (e.code === code) return e;
  return errorByCode(code);
}

export { BROKER_ERRORS };
