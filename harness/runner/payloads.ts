/**
 * Hot-path payload encoding and decoding, in the layout of harness/payload.ts (which stays the
 * reference codec; the test checks both agree). A producer copies one precomputed batch template
 * (version and producer id already set) and patches sequence and timestamps per message; a consumer
 * reads the header fields without allocating.
 */
import { PAYLOAD_HEADER_BYTES, PAYLOAD_VERSION } from "../payload.js";

const SEQ_AT = 8;
/** Intended send time (f64), immediately followed by the actual send time (f64) at 20. */
const INTENDED_AT = 12;

const SLAB_BYTES = 1 << 20;

export class BatchEncoder {
  private readonly size: number;
  private readonly template: Buffer;
  private slab: Buffer = Buffer.alloc(0);
  private slabUsed = 0;

  constructor(messageSize: number, process: number, maxBatch: number) {
    this.size = Math.max(messageSize, PAYLOAD_HEADER_BYTES);
    this.template = Buffer.alloc(this.size * maxBatch);
    for (let i = 0; i < maxBatch; i++) {
      this.template[i * this.size] = PAYLOAD_VERSION;
      this.template.writeUInt32LE(process, i * this.size + 4);
    }
  }

  /** `count` payloads, sequences from `firstSeq`, all with the given intended and sent times. */
  encode(count: number, firstSeq: number, intendedMs: number, sentMs: number): Buffer[] {
    const size = this.size;
    const bytes = size * count;
    // Batches are carved out of a large slab: one allocation per ~1 MiB instead of per batch.
    if (this.slabUsed + bytes > this.slab.length) {
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
      this.slabUsed = 0;
    }
    const slab = this.slab.subarray(this.slabUsed, this.slabUsed + bytes);
    this.slabUsed += bytes;
    this.template.copy(slab, 0, 0, bytes);
    // Both doubles are written once and copied: cheaper than writeDoubleLE per message.
    const times = Buffer.allocUnsafe(16);
    times.writeDoubleLE(intendedMs, 0);
    times.writeDoubleLE(sentMs, 8);
    const out = new Array<Buffer>(count);
    for (let i = 0; i < count; i++) {
      const at = i * size;
      slab.writeUInt32LE((firstSeq + i) >>> 0, at + SEQ_AT);
      times.copy(slab, at + INTENDED_AT, 0, 16);
      out[i] = slab.subarray(at, at + size);
    }
    return out;
  }
}

/** Reads payload headers without allocating; `read` fills the public fields. */
export class HeaderReader {
  process = 0;
  sequence = 0;
  intendedMs = 0;
  sentMs = 0;
  private readonly f64 = new Float64Array(2);
  private readonly bytes = new Uint8Array(this.f64.buffer);

  /** False when the payload is not a brokerbench payload. */
  read(p: Uint8Array): boolean {
    if (p.length < PAYLOAD_HEADER_BYTES || p[0] !== PAYLOAD_VERSION) return false;
    this.process = (p[4]! | (p[5]! << 8) | (p[6]! << 16) | (p[7]! << 24)) >>> 0;
    this.sequence = (p[8]! | (p[9]! << 8) | (p[10]! << 16) | (p[11]! << 24)) >>> 0;
    const b = this.bytes;
    for (let i = 0; i < 16; i++) b[i] = p[INTENDED_AT + i]!;
    this.intendedMs = this.f64[0]!;
    this.sentMs = this.f64[1]!;
    return true;
  }
}
