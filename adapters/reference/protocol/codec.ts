/**
 * Primitive encoders and decoders of the wire protocol (big-endian, as Kafka's):
 *
 *   int8 / int16 / int32 / uint32   fixed width
 *   int64                           two's complement; values are JS numbers (exact below 2^53)
 *   string                          int16 length (-1 = null) + UTF-8
 *   bytes                           int32 length (-1 = null) + raw
 *   array<T>                        int32 count + T...
 *
 * `Reader` checks every bound and throws `ProtocolError`, which the server answers by dropping
 * the connection: a malformed request never reaches the broker.
 */

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

const TWO_32 = 2 ** 32;

export class Writer {
  private buf: Buffer;
  private pos: number;

  constructor(initial = 256, reserve = 0) {
    this.buf = Buffer.allocUnsafe(Math.max(initial, reserve + 16));
    this.pos = reserve;
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`int64 field: ${v} is not a safe integer`);
    const hi = Math.floor(v / TWO_32);
    this.ensure(8);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(v - hi * TWO_32, this.pos + 4);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.uint8(v ? 1 : 0);
  }

  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const n = Buffer.byteLength(v, "utf8");
    if (n > 0x7fff) throw new RangeError(`string of ${n} bytes exceeds the 32767-byte limit`);
    this.ensure(2 + n);
    this.buf.writeInt16BE(n, this.pos);
    this.buf.write(v, this.pos + 2, "utf8");
    this.pos += 2 + n;
    return this;
  }

  bytes(v: Uint8Array | null): this {
    if (v === null) return this.int32(-1);
    this.ensure(4 + v.length);
    this.buf.writeInt32BE(v.length, this.pos);
    this.buf.set(v, this.pos + 4);
    this.pos += 4 + v.length;
    return this;
  }

  /** Writes `n` bytes in place: `fill` gets the buffer and where to start (for encoders of their own). */
  writeWith(n: number, fill: (buf: Buffer, at: number) => void): this {
    this.ensure(n);
    fill(this.buf, this.pos);
    this.pos += n;
    return this;
  }

  array<T>(items: readonly T[], each: (w: this, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) each(this, item);
    return this;
  }

  /** Overwrites 4 bytes at `at` (frame length back-patching). */
  patchUint32(at: number, v: number): void {
    this.buf.writeUInt32BE(v, at);
  }

  /** The bytes written so far (a view, valid until the next write). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class Reader {
  private readonly buf: Buffer;
  private pos: number;
  private readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) {
      throw new ProtocolError(`truncated ${what}: need ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  int8(): number {
    this.need(1, "int8");
    return this.buf.readInt8(this.pos++);
  }

  uint8(): number {
    this.need(1, "uint8");
    return this.buf[this.pos++]!;
  }

  int16(): number {
    this.need(2, "int16");
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4, "int32");
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4, "uint32");
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): number {
    this.need(8, "int64");
    const v = this.buf.readInt32BE(this.pos) * TWO_32 + this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    if (!Number.isSafeInteger(v)) throw new ProtocolError(`int64 value beyond 2^53`);
    return v;
  }

  bool(): boolean {
    const v = this.uint8();
    if (v > 1) throw new ProtocolError(`boolean byte ${v}`);
    return v === 1;
  }

  string(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    if (n < 0) throw new ProtocolError(`string length ${n}`);
    this.need(n, "string");
    const v = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A string that must not be null. */
  text(what: string): string {
    const v = this.string();
    if (v === null) throw new ProtocolError(`${what} must not be null`);
    return v;
  }

  /** Bytes as a view into the frame (no copy). */
  bytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0) throw new ProtocolError(`bytes length ${n}`);
    this.need(n, "bytes");
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** An array; `minItemBytes` bounds the count by what is left, so a forged count cannot allocate. */
  array<T>(each: (r: this) => T, minItemBytes = 1): T[] {
    const n = this.int32();
    if (n < 0) throw new ProtocolError(`array count ${n}`);
    if (n * minItemBytes > this.remaining) throw new ProtocolError(`array count ${n} exceeds the frame`);
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = each(this);
    return out;
  }

  /** Throws unless the whole body was consumed: trailing bytes mean the peers disagree on the grammar. */
  done(what: string): void {
    if (this.pos !== this.end) throw new ProtocolError(`${what}: ${this.end - this.pos} trailing bytes`);
  }
}
