/**
 * Builds text straight into large byte chunks: ASCII literals and pre-encoded strings are copied,
 * integers are written digit by digit. No string is created per message, so recording a history
 * makes no garbage (string concatenation made the collector the biggest cost of a run).
 * A full chunk goes to `onChunk` and a new one is taken (recycled chunks first).
 */

const DIGITS_MAX = 24;

export class ByteWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly chunkBytes: number;
  private readonly free: Buffer[] = [];
  private readonly onChunk: (chunk: Buffer, release: () => void) => void;
  private readonly digits = new Uint8Array(DIGITS_MAX);

  /** `onChunk` receives each full chunk and calls `release` once the chunk may be reused. */
  constructor(chunkBytes: number, onChunk: (chunk: Buffer, release: () => void) => void) {
    this.chunkBytes = chunkBytes;
    this.onChunk = onChunk;
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Makes room for `n` more bytes (a line may span chunks; each call must ask for at most a chunk). */
  reserve(n: number): void {
    if (this.pos + n > this.buf.length) this.flush(Math.max(n, this.chunkBytes));
  }

  /** Hands over what is written and starts a new chunk of at least `size` bytes. */
  flush(size = this.chunkBytes): void {
    if (this.pos > 0) {
      const full = this.buf;
      const chunk = full.subarray(0, this.pos);
      this.onChunk(chunk, () => {
        if (full.length === this.chunkBytes && this.free.length < 4) this.free.push(full);
      });
    }
    const reuse = size === this.chunkBytes ? this.free.pop() : undefined;
    this.buf = reuse ?? Buffer.allocUnsafe(size);
    this.pos = 0;
  }

  /** Copies bytes (pre-encoded literals and strings). The caller reserved room. */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (n > 16) {
      this.buf.set(b, this.pos);
      this.pos += n;
      return;
    }
    // TypedArray#set costs more than the copy itself for short literals.
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = b[i]!;
    this.pos = pos;
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** A non-negative integer (exact up to 2^53) in decimal. The caller reserved room. */
  uint(n: number): void {
    const buf = this.buf;
    if (n < 10) {
      buf[this.pos++] = 48 + n;
      return;
    }
    if (n <= 0x7fffffff) {
      // Count the digits, then write them right to left straight into the chunk.
      let len = 2;
      for (let p = 100; n >= p && len < 10; p *= 10) len++;
      let at = this.pos + len;
      this.pos = at;
      let v = n | 0;
      while (v > 0) {
        const q = (v / 10) | 0;
        buf[--at] = 48 + v - q * 10;
        v = q;
      }
      return;
    }
    const d = this.digits;
    let i = DIGITS_MAX;
    let v = n;
    while (v > 0) {
      const q = Math.floor(v / 10);
      d[--i] = 48 + (v - q * 10);
      v = q;
    }
    while (i < DIGITS_MAX) buf[this.pos++] = d[i++]!;
  }

  /** The digits held by `d`. The caller reserved room. */
  decimal(d: DecimalDigits): void {
    const buf = this.buf;
    const digits = d.digits;
    let pos = this.pos;
    for (let i = d.start; i < DIGITS_MAX; i++) buf[pos++] = digits[i]!;
    this.pos = pos;
  }

  /** A JS number as JSON (integers fast, anything else through String()). */
  number(n: number): void {
    if (Number.isSafeInteger(n) && n >= 0) this.uint(n);
    else this.bytes(Buffer.from(JSON.stringify(n), "latin1"));
  }
}

/**
 * The decimal digits of a number that mostly goes up by one (sequences, offsets): a step of one is
 * an increment of the ASCII digits, not a conversion. Write with `ByteWriter.decimal`.
 */
export class DecimalDigits {
  readonly digits = new Uint8Array(DIGITS_MAX);
  start = DIGITS_MAX - 1;
  private value = 0;

  constructor() {
    this.digits[DIGITS_MAX - 1] = 48;
  }

  /** Sets the value (a safe non-negative integer) and returns this. */
  set(n: number): this {
    if (n === this.value + 1) {
      this.value = n;
      const d = this.digits;
      let i = DIGITS_MAX - 1;
      while (i >= this.start && d[i] === 57) d[i--] = 48;
      if (i < this.start) {
        this.start = i;
        d[i] = 49;
      } else {
        d[i]!++;
      }
      return this;
    }
    if (n === this.value) return this;
    this.value = n;
    const d = this.digits;
    let i = DIGITS_MAX;
    let v = n;
    do {
      const q = Math.floor(v / 10);
      d[--i] = 48 + (v - q * 10);
      v = q;
    } while (v > 0);
    this.start = i;
    return this;
  }
}
