/**
 * The compact encoding of a history (docs/HISTORY.md, "Compact encoding"): the recorder's event
 * stream (events.ts) serialised as varints, one record per history line, in self-contained blocks.
 * Every record decodes to exactly the line the JSON formatter (formatter.ts) writes for the same
 * event, so a compact history and its JSON lines are the same history, line for line.
 *
 *   file   = header (16 bytes: MAGIC, version u8, 7 reserved zero bytes), then blocks
 *   block  = payload bytes u32, lines u32, items u32, CRC-32 of the payload u32 (little endian),
 *            then the payload: records
 *   record = tag u8, fields (uv: unsigned LEB128; num: a number code, below)
 *
 *   1 SEND_INVOKE process uv, Δtime num, topic uv, source uv, firstSeq uv, count uv, hasKeys u8,
 *                 [key+1 uv × count], hasProps u8, [props uv × count] (a string id: the JSON text)
 *   2 SEND_OK     as SEND_INVOKE, then ack runs covering count: partition uv, offset num, length uv
 *   3 POLL_INVOKE process uv, Δtime num, group uv
 *   4 POLL_OK     process uv, Δtime num, group uv, count uv, then runs covering count:
 *                 proc uv, seq uv, topic uv, partition uv, offset num, (length << 1 | redelivered) uv
 *   5 COMMIT_OFFSETS process uv, Δtime num, group uv, n uv, (topic uv, partition uv, offset num) × n
 *   6 COMMIT_IDS  process uv, Δtime num, group uv, n uv, then runs covering n: proc uv, seq uv, length uv
 *   7 TEXT        string id uv, byte length uv, UTF-8 bytes: a whole JSON line (its newline left out)
 *  16 STRING      string id uv, byte length uv, UTF-8 bytes: defines a topic, group or key (no line)
 *
 * topic, group, key and props are string ids; a block defines (STRING) every id it uses before its first
 * use, so each block decodes alone (the checker reads blocks in parallel, witness texts decode one).
 * Δtime is the difference from the previous record's time in the block (the first: from 0).
 * A run is consecutive messages whose sequence and offset both go up by one (an offset that is
 * null, -1 in events, stays null) with everything else equal. num: 0 then a float64 (LE), or
 * zigzag(n) + 1 for an integer |n| < 2^52.
 */
import { crc32 } from "node:zlib";
import { type EventChunk, OP } from "./events.js";

/** `\x89BBH\r\n\x1a\n`: not text (the first byte is not ASCII), and line-ending damage shows. */
export const COMPACT_MAGIC: Uint8Array = Uint8Array.of(0x89, 0x42, 0x42, 0x48, 0x0d, 0x0a, 0x1a, 0x0a);
export const COMPACT_VERSION = 1;
export const FILE_HEADER_BYTES = 16;
export const BLOCK_HEADER_BYTES = 16;
/** The file name extension of a compact history (`history.bbh`). */
export const COMPACT_EXTENSION = ".bbh";

export const TAG = { ...OP, STRING: 16 } as const;

/** A block is closed once its payload reaches this size or its message entries this count. */
export const BLOCK_BYTES = 1 << 20;
const BLOCK_ITEMS = 1 << 18;
const MAX_INT_CODE = 2 ** 52;

export class CompactFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompactFormatError";
  }
}

/** True when `head` (a file's first bytes) starts with the compact magic. */
export function isCompact(head: Uint8Array): boolean {
  if (head.length < COMPACT_MAGIC.length) return false;
  for (let i = 0; i < COMPACT_MAGIC.length; i++) if (head[i] !== COMPACT_MAGIC[i]) return false;
  return true;
}

export function fileHeader(): Buffer {
  const h = Buffer.alloc(FILE_HEADER_BYTES);
  h.set(COMPACT_MAGIC, 0);
  h[COMPACT_MAGIC.length] = COMPACT_VERSION;
  return h;
}

/** The version in a file header, after checking its magic. */
export function readFileHeader(head: Uint8Array, source: string): number {
  if (head.length < FILE_HEADER_BYTES || !isCompact(head))
    throw new CompactFormatError(`${source}: not a compact history (no header)`);
  const version = head[COMPACT_MAGIC.length]!;
  if (version !== COMPACT_VERSION)
    throw new CompactFormatError(
      `${source}: compact history version ${version}, this brokerbench reads version ${COMPACT_VERSION}`,
    );
  return version;
}

export interface BlockHeader {
  readonly payloadBytes: number;
  readonly lines: number;
  readonly items: number;
  readonly crc: number;
}

export function readBlockHeader(buf: Uint8Array, at: number): BlockHeader {
  const v = new DataView(buf.buffer, buf.byteOffset + at, BLOCK_HEADER_BYTES);
  return {
    payloadBytes: v.getUint32(0, true),
    lines: v.getUint32(4, true),
    items: v.getUint32(8, true),
    crc: v.getUint32(12, true),
  };
}

/**
 * Encodes event chunks into blocks; `onBlock` receives each finished block (header and payload)
 * and calls `release` once its memory may be reused. Runs where the JSON formatter would.
 */
export class CompactEncoder {
  private buf: Buffer;
  private pos = BLOCK_HEADER_BYTES;
  private readonly free: Buffer[] = [];
  private readonly onBlock: (block: Buffer, release: () => void) => void;
  private readonly blockBytes: number;
  private readonly strings: (string | undefined)[] = [];
  /** Per string id: the block number it was last defined in, plus one. */
  private definedIn = new Int32Array(256);
  private block = 1;
  private blockLines = 0;
  private blockItems = 0;
  private prevTime = 0;
  /** History lines encoded so far. */
  lines = 0;
  /** Bytes handed to `onBlock` so far. */
  bytes = 0;

  /** `blockBytes`: payload size at which a block is closed (tests make it small). */
  constructor(onBlock: (block: Buffer, release: () => void) => void, blockBytes = BLOCK_BYTES) {
    this.onBlock = onBlock;
    this.blockBytes = blockBytes;
    this.buf = Buffer.allocUnsafe(BLOCK_BYTES + (BLOCK_BYTES >> 2));
  }

  /** The file header: written once, before the first block. */
  header(): Buffer {
    this.bytes += FILE_HEADER_BYTES;
    return fileHeader();
  }

  consume(chunk: EventChunk): void {
    const ids = chunk.stringIds;
    for (let i = 0; i < chunk.strings.length; i++)
      this.strings[ids === undefined ? chunk.firstString + i : ids[i]!] = chunk.strings[i];
    const ev = chunk.events;
    let i = 0;
    while (i < chunk.length) {
      const op = ev[i]!;
      if (op === OP.SEND_INVOKE || op === OP.SEND_OK) i = this.send(ev, i, op === OP.SEND_OK);
      else if (op === OP.POLL_OK) i = this.pollOk(ev, i);
      else if (op === OP.POLL_INVOKE) {
        this.define(ev[i + 3]!);
        this.room(40);
        this.head(op, ev[i + 1]!, ev[i + 2]!);
        this.uv(ev[i + 3]!);
        i += 4;
      } else if (op === OP.COMMIT_OFFSETS) {
        const n = ev[i + 4]!;
        this.define(ev[i + 3]!);
        for (let m = 0; m < n; m++) this.define(ev[i + 5 + 3 * m]!);
        this.room(50 + 30 * n);
        this.head(op, ev[i + 1]!, ev[i + 2]!);
        this.uv(ev[i + 3]!);
        this.uv(n);
        i += 5;
        for (let m = 0; m < n; m++, i += 3) {
          this.uv(ev[i]!);
          this.uv(ev[i + 1]!);
          this.num(ev[i + 2]!);
        }
        this.blockItems += n;
      } else if (op === OP.COMMIT_IDS) {
        const n = ev[i + 4]!;
        this.define(ev[i + 3]!);
        this.room(50 + 30 * n);
        this.head(op, ev[i + 1]!, ev[i + 2]!);
        this.uv(ev[i + 3]!);
        this.uv(n);
        i += 5;
        const end = i + 2 * n;
        while (i < end) {
          const proc = ev[i]!;
          const seq = ev[i + 1]!;
          let len = 1;
          while (i + 2 * len < end && ev[i + 2 * len] === proc && ev[i + 2 * len + 1] === seq + len) len++;
          this.uv(proc);
          this.uv(seq);
          this.uv(len);
          i += 2 * len;
        }
        this.blockItems += n;
      } else if (op === OP.TEXT) {
        const id = ev[i + 1]!;
        const text = Buffer.from(this.strings[id] ?? "", "utf8");
        this.strings[id] = undefined;
        // The formatter writes the text as it is; a line is whatever precedes its newline.
        const line = text.length > 0 && text[text.length - 1] === 10 ? text.subarray(0, -1) : text;
        this.room(30 + line.length);
        this.buf[this.pos++] = OP.TEXT;
        this.uv(id);
        this.uv(line.length);
        this.buf.set(line, this.pos);
        this.pos += line.length;
        i += 2;
      } else {
        throw new Error(`compact history encoder: unknown event ${op} at ${i}`);
      }
      this.lines++;
      this.blockLines++;
      if (this.pos - BLOCK_HEADER_BYTES >= this.blockBytes || this.blockItems >= BLOCK_ITEMS)
        this.finishBlock();
    }
  }

  /** Hands over the block in progress (if any line is in it). */
  flush(): void {
    if (this.blockLines > 0) this.finishBlock();
  }

  private finishBlock(): void {
    const payload = this.pos - BLOCK_HEADER_BYTES;
    const full = this.buf;
    const v = new DataView(full.buffer, full.byteOffset, BLOCK_HEADER_BYTES);
    v.setUint32(0, payload, true);
    v.setUint32(4, this.blockLines, true);
    v.setUint32(8, this.blockItems, true);
    v.setUint32(12, crc32(full.subarray(BLOCK_HEADER_BYTES, this.pos)), true);
    const block = full.subarray(0, this.pos);
    this.bytes += block.length;
    const size = full.length;
    this.onBlock(block, () => {
      if (full.length === size && this.free.length < 4) this.free.push(full);
    });
    this.buf = this.free.pop() ?? Buffer.allocUnsafe(BLOCK_BYTES + (BLOCK_BYTES >> 2));
    this.pos = BLOCK_HEADER_BYTES;
    this.block++;
    this.blockLines = 0;
    this.blockItems = 0;
    this.prevTime = 0;
  }

  // --- records --------------------------------------------------------------------------------

  private send(ev: Float64Array, at: number, ok: boolean): number {
    const topic = ev[at + 3]!;
    const count = ev[at + 6]!;
    const hasKeys = ev[at + 7] === 1;
    let i = at + 8;
    const keysAt = i;
    const hasProps = ev[keysAt + (hasKeys ? count : 0)] === 1;
    const propsAt = keysAt + (hasKeys ? count : 0) + 1;
    this.define(topic);
    if (hasKeys) for (let m = 0; m < count; m++) if (ev[keysAt + m]! >= 0) this.define(ev[keysAt + m]!);
    if (hasProps) for (let m = 0; m < count; m++) this.define(ev[propsAt + m]!);
    this.room(80 + (hasKeys ? 10 * count : 0) + (hasProps ? 10 * count : 0) + (ok ? 30 * count : 0));
    this.head(ok ? OP.SEND_OK : OP.SEND_INVOKE, ev[at + 1]!, ev[at + 2]!);
    this.uv(topic);
    this.uv(ev[at + 4]!);
    this.uv(ev[at + 5]!);
    this.uv(count);
    this.buf[this.pos++] = hasKeys ? 1 : 0;
    if (hasKeys) {
      for (let m = 0; m < count; m++) this.uv(ev[i + m]! + 1);
      i += count;
    }
    this.buf[this.pos++] = hasProps ? 1 : 0;
    i += 1;
    if (hasProps) {
      for (let m = 0; m < count; m++) this.uv(ev[i + m]!);
      i += count;
    }
    if (ok) {
      const end = i + 2 * count;
      while (i < end) {
        const part = ev[i]!;
        const off = ev[i + 1]!;
        let len = 1;
        if (off === -1) {
          while (i + 2 * len < end && ev[i + 2 * len] === part && ev[i + 2 * len + 1] === -1) len++;
        } else if (Number.isSafeInteger(off) && off >= 0) {
          while (i + 2 * len < end && ev[i + 2 * len] === part && ev[i + 2 * len + 1] === off + len) len++;
        }
        this.uv(part);
        this.num(off);
        this.uv(len);
        i += 2 * len;
      }
    }
    this.blockItems += count;
    return i;
  }

  private pollOk(ev: Float64Array, at: number): number {
    const count = ev[at + 4]!;
    this.define(ev[at + 3]!);
    let lastTopic = -1;
    for (let m = 0, k = at + 5 + 2; m < count; m++, k += 6) {
      const t = ev[k]!;
      if (t !== lastTopic) {
        this.define(t);
        lastTopic = t;
      }
    }
    this.room(60 + 40 * count);
    this.head(OP.POLL_OK, ev[at + 1]!, ev[at + 2]!);
    this.uv(ev[at + 3]!);
    this.uv(count);
    let i = at + 5;
    const end = i + 6 * count;
    while (i < end) {
      const proc = ev[i]!;
      const seq = ev[i + 1]!;
      const topic = ev[i + 2]!;
      const part = ev[i + 3]!;
      const off = ev[i + 4]!;
      const redelivered = ev[i + 5]!;
      const counting = Number.isSafeInteger(off) && off >= 0;
      let len = 1;
      for (let k = i + 6; k < end; k += 6, len++) {
        if (
          ev[k] !== proc ||
          ev[k + 1] !== seq + len ||
          ev[k + 2] !== topic ||
          ev[k + 3] !== part ||
          ev[k + 5] !== redelivered
        )
          break;
        const o = ev[k + 4]!;
        if (counting ? o !== off + len : !(off === -1 && o === -1)) break;
      }
      this.uv(proc);
      this.uv(seq);
      this.uv(topic);
      this.uv(part);
      this.num(off);
      this.uv(len * 2 + (redelivered === 1 ? 1 : 0));
      i += 6 * len;
    }
    this.blockItems += count;
    return i;
  }

  /** The tag, process and time of a record (room reserved by the caller). */
  private head(tag: number, process: number, time: number): void {
    this.buf[this.pos++] = tag;
    this.uv(process);
    this.num(time - this.prevTime);
    this.prevTime = time;
  }

  /** Writes a STRING record for `id` unless this block has one already. */
  private define(id: number): void {
    if (id >= this.definedIn.length) {
      const next = new Int32Array(Math.max(id + 1, this.definedIn.length * 2));
      next.set(this.definedIn);
      this.definedIn = next;
    }
    if (this.definedIn[id] === this.block) return;
    this.definedIn[id] = this.block;
    const text = Buffer.from(this.strings[id] ?? "", "utf8");
    this.room(30 + text.length);
    this.buf[this.pos++] = TAG.STRING;
    this.uv(id);
    this.uv(text.length);
    this.buf.set(text, this.pos);
    this.pos += text.length;
  }

  // --- bytes ----------------------------------------------------------------------------------

  /** Makes room for `n` more bytes in the block buffer (a record never spans blocks). */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  private uv(n: number): void {
    const b = this.buf;
    let p = this.pos;
    if ((n & 0x7f) === n) {
      b[p++] = n;
    } else if (n >>> 0 === n) {
      let v = n;
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[p++] = v;
    } else {
      if (!(Number.isSafeInteger(n) && n >= 0))
        throw new Error(`compact history encoder: ${n} is not a non-negative integer`);
      let v = n;
      while (v >= 0x80) {
        b[p++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      b[p++] = v;
    }
    this.pos = p;
  }

  private num(n: number): void {
    if (Number.isInteger(n) && Math.abs(n) < MAX_INT_CODE) {
      this.uv((n >= 0 ? n * 2 : -n * 2 - 1) + 1);
      return;
    }
    this.buf[this.pos++] = 0;
    this.buf.writeDoubleLE(n, this.pos);
    this.pos += 8;
  }
}

/** Reads varints from one block's payload. */
class Cursor {
  i = 0;
  constructor(readonly b: Uint8Array) {}

  uv(): number {
    const b = this.b;
    let c = b[this.i++]!;
    if (c < 0x80) return c;
    let v = c & 0x7f;
    let mul = 0x80;
    do {
      c = b[this.i++]!;
      v += (c & 0x7f) * mul;
      mul *= 0x80;
    } while (c >= 0x80 && mul < 2 ** 63);
    return v;
  }

  num(): number {
    const code = this.uv();
    if (code === 0) {
      if (this.i + 8 > this.b.length) return Number.NaN;
      const v = new DataView(this.b.buffer, this.b.byteOffset + this.i, 8).getFloat64(0, true);
      this.i += 8;
      return v;
    }
    const z = code - 1;
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  text(): string {
    const len = this.uv();
    const s = Buffer.from(this.b.buffer, this.b.byteOffset + this.i, Math.min(len, this.b.length - this.i));
    this.i += len;
    return s.toString("utf8");
  }
}

/**
 * Decodes one block's payload back into the recorder's events (string ids as recorded, listed in
 * `stringIds`). Throws CompactFormatError when the payload does not hold `lines` whole records.
 */
export function decodeBlock(payload: Uint8Array, header: BlockHeader, where: string): EventChunk {
  const c = new Cursor(payload);
  let ev = new Float64Array(9 * header.lines + 6 * header.items + 16);
  let n = 0;
  const strings: string[] = [];
  const stringIds: number[] = [];
  const ensure = (slots: number) => {
    if (n + slots <= ev.length) return;
    const bigger = new Float64Array(Math.max(ev.length * 2, n + slots));
    bigger.set(ev.subarray(0, n));
    ev = bigger;
  };
  let time = 0;
  let lines = 0;
  const end = payload.length;
  const bad = (what: string) =>
    new CompactFormatError(`${where}: damaged block (${what} at payload byte ${c.i})`);
  while (c.i < end) {
    const tag = payload[c.i++]!;
    if (tag === TAG.STRING) {
      stringIds.push(c.uv());
      strings.push(c.text());
      continue;
    }
    lines++;
    if (tag === OP.TEXT) {
      ensure(2);
      const id = c.uv();
      stringIds.push(id);
      strings.push(`${c.text()}\n`);
      ev[n++] = OP.TEXT;
      ev[n++] = id;
      continue;
    }
    if (tag < OP.SEND_INVOKE || tag > OP.COMMIT_IDS) throw bad(`unknown record tag ${tag}`);
    const process = c.uv();
    time += c.num();
    ensure(5);
    ev[n++] = tag;
    ev[n++] = process;
    ev[n++] = time;
    if (tag === OP.SEND_INVOKE || tag === OP.SEND_OK) {
      const topic = c.uv();
      const source = c.uv();
      const firstSeq = c.uv();
      const count = c.uv();
      const hasKeys = payload[c.i++]!;
      if (count > header.items) throw bad("a send longer than its block");
      ensure(6 + count * 4);
      ev[n++] = topic;
      ev[n++] = source;
      ev[n++] = firstSeq;
      ev[n++] = count;
      ev[n++] = hasKeys;
      if (hasKeys === 1) for (let m = 0; m < count; m++) ev[n++] = c.uv() - 1;
      const hasProps = payload[c.i++]!;
      ev[n++] = hasProps;
      if (hasProps === 1) for (let m = 0; m < count; m++) ev[n++] = c.uv();
      if (tag === OP.SEND_OK) {
        for (let m = 0; m < count; ) {
          const part = c.uv();
          const off = c.num();
          const len = c.uv();
          if (len < 1 || m + len > count) throw bad("an acknowledgement run");
          const counting = Number.isSafeInteger(off) && off >= 0;
          for (let k = 0; k < len; k++) {
            ev[n++] = part;
            ev[n++] = counting ? off + k : off;
          }
          m += len;
        }
      }
    } else if (tag === OP.POLL_INVOKE) {
      ev[n++] = c.uv();
    } else if (tag === OP.POLL_OK) {
      const group = c.uv();
      const count = c.uv();
      if (count > header.items) throw bad("a poll longer than its block");
      ensure(2 + 6 * count);
      ev[n++] = group;
      ev[n++] = count;
      for (let m = 0; m < count; ) {
        const proc = c.uv();
        const seq = c.uv();
        const topic = c.uv();
        const part = c.uv();
        const off = c.num();
        const lr = c.uv();
        const len = Math.floor(lr / 2);
        if (len < 1 || m + len > count) throw bad("a delivery run");
        const counting = Number.isSafeInteger(off) && off >= 0;
        for (let k = 0; k < len; k++) {
          ev[n++] = proc;
          ev[n++] = seq + k;
          ev[n++] = topic;
          ev[n++] = part;
          ev[n++] = counting ? off + k : off;
          ev[n++] = lr & 1;
        }
        m += len;
      }
    } else if (tag === OP.COMMIT_OFFSETS) {
      const group = c.uv();
      const count = c.uv();
      if (count > header.items) throw bad("a commit longer than its block");
      ensure(2 + 3 * count);
      ev[n++] = group;
      ev[n++] = count;
      for (let m = 0; m < count; m++) {
        ev[n++] = c.uv();
        ev[n++] = c.uv();
        ev[n++] = c.num();
      }
    } else {
      const group = c.uv();
      const count = c.uv();
      if (count > header.items) throw bad("a commit longer than its block");
      ensure(2 + 2 * count);
      ev[n++] = group;
      ev[n++] = count;
      for (let m = 0; m < count; ) {
        const proc = c.uv();
        const seq = c.uv();
        const len = c.uv();
        if (len < 1 || m + len > count) throw bad("an acknowledged-ids run");
        for (let k = 0; k < len; k++) {
          ev[n++] = proc;
          ev[n++] = seq + k;
        }
        m += len;
      }
    }
  }
  if (c.i !== end) throw bad("a record past the end of its block");
  if (lines !== header.lines) throw bad(`${lines} lines where the header says ${header.lines}`);
  return { events: ev, length: n, firstString: 0, strings, stringIds };
}

/** Checks a block's payload against its header's CRC. */
export function blockIntact(payload: Uint8Array, header: BlockHeader): boolean {
  return crc32(payload) === header.crc;
}
