/**
 * Error codes on the wire: the broker's table (../broker/errors.ts, Kafka's codes where Kafka has
 * the same error) plus the protocol's own, which only ever travel in FATAL frames.
 */
import { BROKER_ERRORS, BrokerError, type BrokerErrorInfo, errorByCode } from "../broker/errors.js";

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

/**
 * The BrokerError a response's error code and message stand for: the same table entry (name,
 * retriable flag) the server threw. The server sends `BrokerError.message`, which starts with the
 * name; it is not repeated.
 */
export function errorFromWire(code: number, message: string | null): BrokerError {
  const info = wireError(code);
  const prefix = `${info.name}: `;
  const detail =
    message === null ? undefined : message.startsWith(prefix) ? message.slice(prefix.length) : message;
  return new BrokerError(info, detail);
}

export { BROKER_ERRORS };
