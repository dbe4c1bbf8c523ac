/**
 * Every error the broker answers with, as one table: a code for the wire (Kafka's code where Kafka
 * has the same error, 1000+ for the reference broker's own), whether a client should retry, and
 * what it means. Methods throw `BrokerError`; per-partition results carry `BrokerErrorInfo` as data.
 */

export interface BrokerErrorInfo {
  readonly code: number;
  readonly name: string;
  readonly retriable: boolean;
  readonly message: string;
}

function e<N extends string>(code: number, name: N, retriable: boolean, message: string) {
  return { code, name, retriable, message } as const;
}

export const BROKER_ERRORS = {
  UNKNOWN_SERVER_ERROR: e(-1, "UNKNOWN_SERVER_ERROR", false, "unexpected broker error"),
  OFFSET_OUT_OF_RANGE: e(1, "OFFSET_OUT_OF_RANGE", false, "the offset is outside the retained log"),
  UNKNOWN_TOPIC_OR_PARTITION: e(3, "UNKNOWN_TOPIC_OR_PARTITION", true, "no such topic or partition"),
  ILLEGAL_GENERATION: e(22, "ILLEGAL_GENERATION", false, "stale generation: the group rebalanced"),
  INCONSISTENT_GROUP_PROTOCOL: e(
    23,
    "INCONSISTENT_GROUP_PROTOCOL",
    false,
    "the member's assignment strategy or mode differs from the group's",
  ),
  UNKNOWN_MEMBER_ID: e(25, "UNKNOWN_MEMBER_ID", false, "not a member of the group (left or timed out)"),
  INVALID_SESSION_TIMEOUT: e(26, "INVALID_SESSION_TIMEOUT", false, "session timeout out of bounds"),
  TOPIC_ALREADY_EXISTS: e(36, "TOPIC_ALREADY_EXISTS", false, "the topic already exists"),
  INVALID_PARTITIONS: e(37, "INVALID_PARTITIONS", false, "partition count must be a positive integer"),
  INVALID_REQUEST: e(42, "INVALID_REQUEST", false, "malformed request"),
  OUT_OF_ORDER_SEQUENCE_NUMBER: e(
    45,
    "OUT_OF_ORDER_SEQUENCE_NUMBER",
    false,
    "the batch's sequence number is not the next one expected",
  ),
  INVALID_PRODUCER_EPOCH: e(47, "INVALID_PRODUCER_EPOCH", false, "the producer epoch is stale (fenced)"),
  INVALID_TXN_STATE: e(48, "INVALID_TXN_STATE", false, "operation not valid in the transaction's state"),
  INVALID_PRODUCER_ID_MAPPING: e(
    49,
    "INVALID_PRODUCER_ID_MAPPING",
    false,
    "the producer id does not belong to the transactional id",
  ),
  UNKNOWN_PRODUCER_ID: e(59, "UNKNOWN_PRODUCER_ID", false, "unknown producer id"),
  BROKER_CLOSED: e(1000, "BROKER_CLOSED", true, "the broker is closed"),
  SUBSCRIBER_OVERFLOW: e(
    1001,
    "SUBSCRIBER_OVERFLOW",
    false,
    "the subscriber fell behind its push buffer and was disconnected",
  ),
  UNKNOWN_DELIVERY: e(1002, "UNKNOWN_DELIVERY", false, "ack/nack of a message not in flight to this member"),
  SUBSCRIPTION_CLOSED: e(1003, "SUBSCRIPTION_CLOSED", false, "the subscription is closed"),
} as const;

export type BrokerErrorName = keyof typeof BROKER_ERRORS;

const BY_CODE = new Map<number, BrokerErrorInfo>(Object.values(BROKER_ERRORS).map((x) => [x.code, x]));

/** The table entry for a wire code (UNKNOWN_SERVER_ERROR for codes this version does not know). */
export function errorByCode(code: number): BrokerErrorInfo {
  return BY_CODE.get(code) ?? BROKER_ERRORS.UNKNOWN_SERVER_ERROR;
}

/** Extra data some errors carry (OFFSET_OUT_OF_RANGE: the log's bounds). */
export interface BrokerErrorData {
  readonly logStartOffset?: number;
  readonly logEndOffset?: number;
}

export class BrokerError extends Error {
  readonly info: BrokerErrorInfo;
  readonly code: number;
  readonly retriable: boolean;
  readonly data: BrokerErrorData;
  constructor(info: BrokerErrorInfo, detail?: string, data: BrokerErrorData = {}) {
    super(detail === undefined ? `${info.name}: ${info.message}` : `${info.name}: ${detail}`);
    this.name = "BrokerError";
    this.info = info;
    this.code = info.code;
    this.retriable = info.retriable;
    this.data = data;
  }
}

export function brokerError(name: BrokerErrorName, detail?: string, data?: BrokerErrorData): BrokerError {
  return new BrokerError(BROKER_ERRORS[name], detail, data);
}

export function isBrokerError(err: unknown, name?: BrokerErrorName): err is BrokerError {
  return err instanceof BrokerError && (name === undefined || err.info.name === name);
}
