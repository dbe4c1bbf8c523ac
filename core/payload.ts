/**
 * The payload every message carries, so that identity and timing survive any broker:
 *
 *   offset  size  field
 *   0       1     format version (1)
 *   1       3     reserved (0)
 *   4       4     producer process id (u32 LE)
 *   8       4     sequence number within the producer (u32 LE)
 *   12      8     intended send time, wallMs (f64 LE) — the constant-rate schedule's slot
 *   20      8     actual send time, wallMs (f64 LE)
 *   28      ...   padding up to the workload's message size
 *
 * The history id of a message is `${process}-${sequence}`.
 */
export const PAYLOAD_VERSION = 1;
export const PAYLOAD_HEADER_BYTES = 28;

export interface PayloadHeader {
  readonly process: number;
  readonly sequence: number;
  readonly intendedMs: number;
  readonly sentMs: number;
}

/** Allocates a payload of `size` bytes (at least the header) with identity and intended time set. */
export function encodePayload(size: number, process: number, sequence: number, intendedMs: number): Buffer {
  const buf = Buffer.alloc(Math.max(size, PAYLOAD_HEADER_BYTES));
  buf[0] = PAYLOAD_VERSION;
  buf.writeUInt32LE(process, 4);
  buf.writeUInt32LE(sequence, 8);
  buf.writeDoubleLE(intendedMs, 12);
  buf.writeDoubleLE(intendedMs, 20);
  return buf;
}

/** Stamps the actual send time just before the batch goes to the adapter. */
export function stampSent(payload: Buffer, sentMs: number): void {
  payload.writeDoubleLE(sentMs, 20);
}

export class PayloadError extends Error {}

export function decodePayload(payload: Uint8Array): PayloadHeader {
  if (payload.length < PAYLOAD_HEADER_BYTES || payload[0] !== PAYLOAD_VERSION) {
    throw new PayloadError(
      `not a brokerbench payload (${payload.length} bytes, version ${payload[0]}): another client is writing to this topic`,
    );
  }
  const view = Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    process: view.readUInt32LE(4),
    sequence: view.readUInt32LE(8),
    intendedMs: view.readDoubleLE(12),
    sentMs: view.readDoubleLE(20),
  };
}

export function messageId(process: number, sequence: number): string {
  return `${process}-${sequence}`;
}
