/**
 * What a pipeline's messages carry after the payload header (core/payload.ts), so that a processor
 * restoring its state reads it back from the output topic, and the verifier times each update from
 * the input event it answers:
 *
 *   input event   28: value f64
 *   output update 28: count f64, 36: sum f64, 44: input's producer u32, 48: input's sequence u32,
 *                 52: the input's send time (wallMs) f64 when the message has room (60+ bytes)
 *
 * The header's own fields keep their meaning: every output has an id of its own.
 */
import { encodePayload, PAYLOAD_HEADER_BYTES } from "../../../core/payload.js";

const VALUE = PAYLOAD_HEADER_BYTES;
const COUNT = PAYLOAD_HEADER_BYTES;
const SUM = PAYLOAD_HEADER_BYTES + 8;
const INPUT_PROC = PAYLOAD_HEADER_BYTES + 16;
const INPUT_SEQ = PAYLOAD_HEADER_BYTES + 20;
const INPUT_SENT = PAYLOAD_HEADER_BYTES + 24;

const view = (p: Uint8Array): Buffer =>
  Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);

export function encodeEvent(
  size: number,
  process: number,
  sequence: number,
  intendedMs: number,
  value: number,
): Buffer {
  const buf = encodePayload(size, process, sequence, intendedMs);
  buf.writeDoubleLE(value, VALUE);
  return buf;
}

export function eventValue(payload: Uint8Array): number {
  return view(payload).readDoubleLE(VALUE);
}

export interface Update {
  readonly count: number;
  readonly sum: number;
  readonly inputProcess: number;
  readonly inputSequence: number;
  /** When the input event was sent (wallMs), or null when the message had no room for it. */
  readonly inputSentMs: number | null;
}

export function encodeUpdate(
  size: number,
  process: number,
  sequence: number,
  nowMs: number,
  u: Update,
): Buffer {
  const buf = encodePayload(size, process, sequence, nowMs);
  buf.writeDoubleLE(u.count, COUNT);
  buf.writeDoubleLE(u.sum, SUM);
  buf.writeUInt32LE(u.inputProcess, INPUT_PROC);
  buf.writeUInt32LE(u.inputSequence, INPUT_SEQ);
  if (buf.length >= INPUT_SENT + 8 && u.inputSentMs !== null) buf.writeDoubleLE(u.inputSentMs, INPUT_SENT);
  return buf;
}

export function decodeUpdate(payload: Uint8Array): Update {
  const b = view(payload);
  return {
    count: b.readDoubleLE(COUNT),
    sum: b.readDoubleLE(SUM),
    inputProcess: b.readUInt32LE(INPUT_PROC),
    inputSequence: b.readUInt32LE(INPUT_SEQ),
    inputSentMs: b.length >= INPUT_SENT + 8 ? b.readDoubleLE(INPUT_SENT) : null,
  };
}
