/**
 * Hot-path payload encoding and decoding, in the layout of core/payload.ts (which stays the
 * reference codec; the test checks both agree). A producer copies one precomputed batch template
 * (version and producer id already set) and patches sequence and timestamps per message; a consumer
 * reads the header fields without allocating.
 */
import { PAYLOAD_HEADER_BYTES, PAYLOAD_VERSION } from "../../core/payload.js";

const SEQ_AT = 8;
/** Intended send time (f64), immediately followed by the actual send time (f64) at 20. */
const INTENDED_AT = 12;

/**
 * 64 KiB, under glibc's 128 KiB mmap threshold: a slab comes from malloc's heap, where freed slabs
 * are reused, not from a fresh mmap. 1 MiB slabs were mapped anew each time and the first write to
 * every page faulted: 35k of the client's 60k page faults in a 6 s TCP run at ~450k msg/s, and
 * the faults (expensive on a virtual machine) were the largest kernel item in its profile.
 */
const SLAB_BYTES = 1 << 16;

// Timestamps go through Float64Array views, whose byte order is the platform's; the payload is
// little-endian (every platform Node 20 ships for but s390x).
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("brokerbench needs a little-endian platform (the payload codec's fast path)");
}

export class BatchEncoder {
  private readonly size: number;
  private readonly template: Buffer;
  private slab: Buffer = Buffer.alloc(0);
  private readonly times = new Float64Array(2);
  private readonly timeBytes = new Uint8Array(this.times.buffer);
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
    // Batches are carved out of a slab: one allocation per 64 KiB instead of per batch.
    if (this.slabUsed + bytes > this.slab.length) {
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
      this.slabUsed = 0;
    }
    const slab = this.slab.subarray(this.slabUsed, this.slabUsed + bytes);
    this.slabUsed += bytes;
    slab.set(bytes === this.template.length ? this.template : this.template.subarray(0, bytes));
    // Both doubles are encoded once and copied byte by byte (a call per message costs more).
    const f64 = this.times;
    f64[0] = intendedMs;
    f64[1] = sentMs;
    const t = this.timeBytes;
    const out = new Array<Buffer>(count);
    for (let i = 0; i < count; i++) {
      const at = i * size;
      const seq = (firstSeq + i) >>> 0;
      slab[at + SEQ_AT] = seq & 0xff;
      slab[at + SEQ_AT + 1] = (seq >>> 8) & 0xff;
      slab[at + SEQ_AT + 2] = (seq >>> 16) & 0xff;
      slab[at + SEQ_AT + 3] = seq >>> 24;
      const ts = at + INTENDED_AT;
      for (let b = 0; b < 16; b++) slab[ts + b] = t[b]!;
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
