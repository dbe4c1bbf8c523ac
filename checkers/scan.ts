/**
 * The byte scanner: reads history lines straight from UTF-8 bytes, extracting only the fields the
 * checkers need (type, f, process, group, and per message id, topic, key, partition, offset,
 * deps) into typed columns, without building a JSON object or a string per message. Ids of the
 * shape "P-S" become two integers; topics, keys, groups and processes are interned by bytes.
 *
 * It handles the common shape of a line; anything else (escapes in strings, fractions, `value`
 * before `f`, a meta line, an unknown operation, a malformed line) is handed back as raw text,
 * which the reader sends through JSON.parse and the reference rules of parse-json.ts, so both
 * readers agree on every input and malformed lines get the same errors. Runs in a worker thread.
 */
import { ByteInterner } from "./byte-interner.js";

export const OP = {
  send: 1,
  poll: 2,
  commitOffsets: 3,
  commitIds: 4,
  assign: 5,
  crash: 6,
  drain: 7,
  raw: 8,
} as const;
/** Op rows: op, type, process, group, line (1-based within the chunk), itemStart, itemEnd, aux. */
export const OP_WIDTH = 8;
/** Item rows: kind (0 message, 1 dep of the previous message), idP, idS, topic, partition, key. */
export const ITEM_WIDTH = 6;
export const TYPE_NAMES = ["invoke", "ok", "fail", "info"] as const;

export interface ScanResult {
  readonly ops: Int32Array;
  readonly items: Int32Array;
  readonly offsets: Float64Array;
  /** Lines handed back whole (op raw, aux = index). */
  readonly raws: string[];
  /** Ids not of the "P-S" shape (item idP -1, idS = index). */
  readonly otherIds: string[];
  /** Names interned since the previous chunk of this scanner, in local id order. */
  readonly names: { processes: string[]; groups: string[]; topics: string[]; keys: string[] };
  readonly lines: number;
  /** Byte offset of each line's start within the chunk. */
  readonly lineStarts: Int32Array;
  /** The chunk's last line has no newline (the end of a file whose recorder died mid-line). */
  readonly unterminated: boolean;
}

const FALLBACK = { fallback: true };
const decoder = new TextDecoder();
const bytes = (s: string) => new TextEncoder().encode(s);
const K = {
  type: bytes("type"),
  f: bytes("f"),
  process: bytes("process"),
  group: bytes("group"),
  value: bytes("value"),
  id: bytes("id"),
  topic: bytes("topic"),
  key: bytes("key"),
  partition: bytes("partition"),
  offset: bytes("offset"),
  deps: bytes("deps"),
  props: bytes("props"),
  ids: bytes("ids"),
  partitions: bytes("partitions"),
  complete: bytes("complete"),
};
const TYPES = TYPE_NAMES.map(bytes);
const LITERALS = { true: bytes("true"), false: bytes("false"), null: bytes("null") };
const FS = ["meta", "send", "poll", "commit", "assign", "crash", "drain"].map(bytes);
const F_SEND = 1;
const F_POLL = 2;
const F_COMMIT = 3;
const F_ASSIGN = 4;
const F_CRASH = 5;
const F_DRAIN = 6;

export class Scanner {
  private readonly processes = new ByteInterner();
  private readonly groups = new ByteInterner();
  private readonly topics = new ByteInterner();
  private readonly keys = new ByteInterner();
  private s: Uint8Array = new Uint8Array(0);
  private i = 0;
  private strEnd = 0;
  private ops = new Int32Array(1 << 12);
  private nOps = 0;
  private items = new Int32Array(1 << 16);
  private offsets = new Float64Array(1 << 14);
  private nItems = 0;
  private raws: string[] = [];
  private otherIds: string[] = [];
  private deps: number[] = [];

  scan(chunk: Uint8Array, unterminated: boolean): ScanResult {
    this.s = chunk;
    this.nOps = 0;
    this.nItems = 0;
    this.raws = [];
    this.otherIds = [];
    const starts: number[] = [];
    let line = 0;
    let a = 0;
    const n = chunk.length;
    while (a < n) {
      let nl = chunk.indexOf(10, a);
      if (nl < 0) nl = n;
      line++;
      starts.push(a);
      const opMark = this.nOps;
      const itemMark = this.nItems;
      const idMark = this.otherIds.length;
      try {
        this.line(a, nl, line);
      } catch (err) {
        if (err !== FALLBACK) throw err;
        this.nOps = opMark;
        this.nItems = itemMark;
        this.otherIds.length = idMark;
        this.raws.push(decoder.decode(chunk.subarray(a, nl)));
        this.op(OP.raw, 0, 0, 0, line, itemMark, this.raws.length - 1);
      }
      a = nl + 1;
    }
    return {
      ops: this.ops.slice(0, this.nOps * OP_WIDTH),
      items: this.items.slice(0, this.nItems * ITEM_WIDTH),
      offsets: this.offsets.slice(0, this.nItems),
      raws: this.raws,
      otherIds: this.otherIds,
      names: {
        processes: this.processes.takeNew(),
        groups: this.groups.takeNew(),
        topics: this.topics.takeNew(),
        keys: this.keys.takeNew(),
      },
      lines: line,
      lineStarts: Int32Array.from(starts),
      unterminated,
    };
  }

  // --- one line -----------------------------------------------------------------------------
  private line(a: number, end: number, line: number): void {
    const s = this.s;
    this.i = a;
    this.ws();
    if (this.i >= end) return; // blank
    if (s[this.i] !== 123) throw FALLBACK;
    this.i++;
    let type = -1;
    let f = -1;
    let proc = -1;
    let group = -1;
    let itemStart = -1;
    let aux = 0;
    this.ws();
    if (s[this.i] === 125) throw FALLBACK;
    for (;;) {
      this.ws();
      const ks = this.str();
      const ke = this.strEnd;
      this.ws();
      if (s[this.i] !== 58) throw FALLBACK;
      this.i++;
      this.ws();
      const klen = ke - ks;
      if (klen === 4 && this.keyIs(ks, K.type)) type = this.pick(TYPES);
      else if (klen === 1 && this.keyIs(ks, K.f)) f = this.pick(FS);
      else if (klen === 7 && this.keyIs(ks, K.process)) proc = this.processToken();
      else if (klen === 5 && this.keyIs(ks, K.group)) {
        const gs = this.str();
        group = this.groups.intern(s, gs, this.strEnd);
      } else if (klen === 5 && this.keyIs(ks, K.value)) {
        if (f < 0 || type < 0) throw FALLBACK; // value before type/f: rare, let JSON.parse do it
        itemStart = this.nItems;
        aux = this.value(f, type);
      } else this.skip();
      this.ws();
      const c = s[this.i];
      if (c === 44) {
        this.i++;
        continue;
      }
      if (c === 125) {
        this.i++;
        break;
      }
      throw FALLBACK;
    }
    this.ws();
    if (this.i < end) throw FALLBACK;
    if (type < 0 || f <= 0) throw FALLBACK; // meta, unknown or missing: the reference reader
    if (itemStart < 0) itemStart = this.nItems;
    switch (f) {
      case F_SEND:
        if (proc < 0) throw FALLBACK;
        this.op(OP.send, type, proc, 0, line, itemStart, 0);
        return;
      case F_POLL:
        if (type !== 1 || itemStart === this.nItems) return;
        if (proc < 0 || group < 0) throw FALLBACK;
        this.op(OP.poll, type, proc, group, line, itemStart, 0);
        return;
      case F_COMMIT:
        if (type !== 1) return;
        if (proc < 0 || group < 0 || aux === 0) throw FALLBACK;
        this.op(aux === 2 ? OP.commitIds : OP.commitOffsets, type, proc, group, line, itemStart, 0);
        return;
      case F_ASSIGN:
        if (type !== 1) return;
        if (proc < 0 || group < 0) throw FALLBACK;
        this.op(OP.assign, type, proc, group, line, itemStart, 0);
        return;
      case F_CRASH:
        if (proc < 0) throw FALLBACK;
        this.op(OP.crash, type, proc, 0, line, itemStart, 0);
        return;
      case F_DRAIN:
        if (group < 0) throw FALLBACK;
        this.op(OP.drain, type, 0, group, line, itemStart, aux);
        return;
    }
  }

  /** Parses `value` for operation f; returns aux (commit: 1 offsets, 2 ids; drain: 1 complete). */
  private value(f: number, type: number): number {
    const s = this.s;
    if (f === F_SEND || (f === F_POLL && type === 1)) {
      if (this.isNull()) return 0;
      if (s[this.i] !== 91) throw FALLBACK;
      this.i++;
      this.ws();
      if (s[this.i] === 93) {
        this.i++;
        return 0;
      }
      for (;;) {
        this.ws();
        this.message();
        this.ws();
        const c = s[this.i++];
        if (c === 44) continue;
        if (c === 93) return 0;
        throw FALLBACK;
      }
    }
    if (f === F_COMMIT && type === 1) {
      if (s[this.i] === 91) {
        this.i++;
        this.ws();
        if (s[this.i] === 93) {
          this.i++;
          return 1;
        }
        for (;;) {
          this.ws();
          this.position(true);
          this.ws();
          const c = s[this.i++];
          if (c === 44) continue;
          if (c === 93) return 1;
          throw FALLBACK;
        }
      }
      if (s[this.i] !== 123) throw FALLBACK;
      let sawIds = false;
      this.object((ks, klen) => {
        if (klen === 3 && this.keyIs(ks, K.ids)) {
          sawIds = true;
          this.array(() => {
            const is = this.str();
            this.item(0, is, this.strEnd, -1, -1, -1, Number.NaN);
          });
        } else this.skip();
      });
      if (!sawIds) throw FALLBACK;
      return 2;
    }
    if (f === F_ASSIGN && type === 1) {
      if (s[this.i] !== 123) throw FALLBACK;
      this.object((ks, klen) => {
        if (klen === 10 && this.keyIs(ks, K.partitions)) this.array(() => this.position(false));
        else this.skip();
      });
      return 0;
    }
    if (f === F_DRAIN && s[this.i] === 123) {
      let complete = 0;
      this.object((ks, klen) => {
        if (klen === 8 && this.keyIs(ks, K.complete) && s[this.i] === 116) complete = 1;
        this.skip();
      });
      return complete;
    }
    this.skip();
    return 0;
  }

  /**
   * One message object of a send or poll: the hot path (tens of millions of calls), so written
   * as one loop over local state, keys told apart by length and first byte.
   */
  private message(): void {
    const s = this.s;
    let i = this.i;
    let idS0 = -1;
    let idE = -1;
    let topic = -1;
    let key = -1;
    let part = -1;
    let offset = Number.NaN;
    let nDeps = 0;
    let idP = -1;
    let idQ = -1;
    if (s[i] !== 123) throw FALLBACK;
    i++;
    let c = s[i]!;
    while (c === 32) c = s[++i]!;
    if (c === 125) throw FALLBACK;
    for (;;) {
      while (c === 32 || c === 9 || c === 13) c = s[++i]!;
      if (c !== 34) throw FALLBACK;
      const ks = ++i;
      c = s[i]!;
      while (c !== 34) {
        if (c === 92 || c === 10 || c === undefined) throw FALLBACK;
        c = s[++i]!;
      }
      const klen = i - ks;
      c = s[++i]!;
      while (c === 32 || c === 9 || c === 13) c = s[++i]!;
      if (c !== 58) throw FALLBACK;
      c = s[++i]!;
      while (c === 32 || c === 9 || c === 13) c = s[++i]!;
      const k0 = s[ks];
      if (klen === 2 && k0 === 105 && s[ks + 1] === 100) {
        // "id": parsed as "P-S" on the way (canonical decimals, as item() and IdTable require).
        if (c !== 34) throw FALLBACK;
        idS0 = ++i;
        c = s[i]!;
        let p = 0;
        while (c >= 48 && c <= 57) {
          p = p * 10 + (c - 48);
          c = s[++i]!;
        }
        const pLen = i - idS0;
        idP = -1;
        if (c === 45 && pLen > 0 && pLen <= 7 && (pLen === 1 || s[idS0] !== 48)) {
          const q0 = ++i;
          let q = 0;
          c = s[i]!;
          while (c >= 48 && c <= 57) {
            q = q * 10 + (c - 48);
            c = s[++i]!;
          }
          const qLen = i - q0;
          if (
            c === 34 &&
            qLen > 0 &&
            qLen <= 8 &&
            (qLen === 1 || s[q0] !== 48) &&
            p < 1 << 20 &&
            q < 1 << 26
          ) {
            idP = p;
            idQ = q;
          }
        }
        while (c !== 34) {
          if (c === 92 || c === 10 || c === undefined) throw FALLBACK;
          c = s[++i]!;
        }
        idE = i++;
      } else if (klen === 5 && k0 === 116 && this.keyIs(ks, K.topic)) {
        this.i = i;
        if (c === 34) topic = this.topics.intern(s, this.str(), this.strEnd);
        else this.skip();
        i = this.i;
      } else if (klen === 3 && k0 === 107 && this.keyIs(ks, K.key)) {
        this.i = i;
        if (c === 34) key = this.keys.intern(s, this.str(), this.strEnd);
        else this.skip();
        i = this.i;
      } else if (klen === 9 && k0 === 112 && this.keyIs(ks, K.partition)) {
        if (c === 110) {
          this.i = i;
          if (!this.isNull()) throw FALLBACK;
          i = this.i;
        } else {
          let v = 0;
          const d0 = i;
          while (c >= 48 && c <= 57) {
            v = v * 10 + (c - 48);
            c = s[++i]!;
          }
          if (i === d0 || i - d0 > 9 || c === 46 || c === 101 || c === 69) throw FALLBACK;
          part = v;
        }
      } else if (klen === 6 && k0 === 111 && this.keyIs(ks, K.offset)) {
        this.i = i;
        if (!this.isNull()) offset = this.num();
        i = this.i;
      } else if (klen === 5 && k0 === 112 && this.keyIs(ks, K.props)) {
        throw FALLBACK; // message properties: the reference reader keeps them
      } else if (klen === 4 && k0 === 100 && this.keyIs(ks, K.deps)) {
        this.i = i;
        if (c !== 91) this.skip();
        else {
          this.deps.length = 0;
          this.array(() => {
            const ds = this.str();
            this.deps.push(ds, this.strEnd);
          });
          nDeps = this.deps.length;
        }
        i = this.i;
      } else if (c === 102 && s[i + 1] === 97 && s[i + 2] === 108 && s[i + 3] === 115 && s[i + 4] === 101) {
        i += 5; // false (the usual "redelivered")
      } else {
        this.i = i;
        this.skip();
        i = this.i;
      }
      c = s[i]!;
      while (c === 32 || c === 9 || c === 13) c = s[++i]!;
      if (c === 44) {
        c = s[++i]!;
        continue;
      }
      if (c === 125) {
        this.i = i + 1;
        break;
      }
      throw FALLBACK;
    }
    if (idS0 < 0) throw FALLBACK;
    if (idP >= 0) this.items_(0, idP, idQ, topic, part, key, offset);
    else this.item(0, idS0, idE, topic, part, key, offset);
    for (let k = 0; k < nDeps; k += 2) this.item(1, this.deps[k]!, this.deps[k + 1]!, -1, -1, -1, Number.NaN);
  }

  /** {topic, partition[, offset]} of a commit (offset required) or an assign. */
  private position(withOffset: boolean): void {
    const s = this.s;
    let topic = -1;
    let part = -1;
    let offset = Number.NaN;
    if (s[this.i] !== 123) throw FALLBACK;
    this.object((ks, klen) => {
      if (klen === 5 && this.keyIs(ks, K.topic)) {
        if (s[this.i] !== 34) throw FALLBACK;
        topic = this.topics.intern(s, this.str(), this.strEnd);
      } else if (klen === 9 && this.keyIs(ks, K.partition)) {
        part = this.num();
        if (part < 0 || !Number.isInteger(part)) throw FALLBACK;
      } else if (withOffset && klen === 6 && this.keyIs(ks, K.offset)) offset = this.num();
      else this.skip();
    });
    if (topic < 0) throw FALLBACK;
    if (part < 0) {
      if (withOffset) throw FALLBACK;
      part = 0;
    }
    if (withOffset && Number.isNaN(offset)) throw FALLBACK;
    this.items_(0, -1, -1, topic, part, -1, offset);
  }

  // --- output -------------------------------------------------------------------------------
  private op(
    op: number,
    type: number,
    proc: number,
    group: number,
    line: number,
    start: number,
    aux: number,
  ): void {
    if ((this.nOps + 1) * OP_WIDTH > this.ops.length) {
      const next = new Int32Array(this.ops.length * 2);
      next.set(this.ops);
      this.ops = next;
    }
    const o = this.nOps++ * OP_WIDTH;
    const ops = this.ops;
    ops[o] = op;
    ops[o + 1] = type;
    ops[o + 2] = proc;
    ops[o + 3] = group;
    ops[o + 4] = line;
    ops[o + 5] = start;
    ops[o + 6] = this.nItems;
    ops[o + 7] = aux;
  }

  /** An item whose id is the string at s[a, b): "P-S" as two integers, anything else by text. */
  private item(
    kind: number,
    a: number,
    b: number,
    topic: number,
    part: number,
    key: number,
    offset: number,
  ): void {
    const s = this.s;
    let p = -1;
    let q = -1;
    let dash = -1;
    for (let k = a; k < b; k++)
      if (s[k] === 45) {
        dash = k;
        break;
      }
    if (dash > a && dash < b - 1 && dash - a <= 7 && b - dash - 1 <= 8) {
      p = digits(s, a, dash);
      q = p >= 0 ? digits(s, dash + 1, b) : -1;
      if (p >= 1 << 20 || q >= 1 << 26) p = -1;
    }
    if (p < 0 || q < 0) {
      this.otherIds.push(decoder.decode(s.subarray(a, b)));
      p = -1;
      q = this.otherIds.length - 1;
    }
    this.items_(kind, p, q, topic, part, key, offset);
  }

  private items_(
    kind: number,
    p: number,
    q: number,
    topic: number,
    part: number,
    key: number,
    offset: number,
  ): void {
    if ((this.nItems + 1) * ITEM_WIDTH > this.items.length) {
      const next = new Int32Array(this.items.length * 2);
      next.set(this.items);
      this.items = next;
    }
    if (this.nItems + 1 > this.offsets.length) {
      const next = new Float64Array(this.offsets.length * 2);
      next.set(this.offsets);
      this.offsets = next;
    }
    const o = this.nItems * ITEM_WIDTH;
    const items = this.items;
    items[o] = kind;
    items[o + 1] = p;
    items[o + 2] = q;
    items[o + 3] = topic;
    items[o + 4] = part;
    items[o + 5] = key;
    this.offsets[this.nItems++] = offset;
  }

  // --- tokens -------------------------------------------------------------------------------
  private ws(): void {
    const s = this.s;
    let c = s[this.i];
    while (c === 32 || c === 9 || c === 13 || c === 10) c = s[++this.i];
  }

  /** A string without escapes: returns its first byte's index, sets strEnd (exclusive). */
  private str(): number {
    const s = this.s;
    if (s[this.i] !== 34) throw FALLBACK;
    const start = ++this.i;
    let c = s[this.i];
    while (c !== 34) {
      if (c === 92 || c === undefined || c === 10) throw FALLBACK;
      c = s[++this.i];
    }
    this.strEnd = this.i++;
    return start;
  }

  private keyIs(a: number, key: Uint8Array): boolean {
    const s = this.s;
    for (let k = 0; k < key.length; k++) if (s[a + k] !== key[k]) return false;
    return true;
  }

  /** The index of the string value among `options`, or a fallback. */
  private pick(options: readonly Uint8Array[]): number {
    const a = this.str();
    const len = this.strEnd - a;
    for (let k = 0; k < options.length; k++)
      if (options[k]!.length === len && this.keyIs(a, options[k]!)) return k;
    throw FALLBACK;
  }

  /** A process: an integer token (canonical) or a string, interned by its JSON text. */
  private processToken(): number {
    const s = this.s;
    const a = this.i;
    if (s[a] === 34) {
      this.str();
      return this.processes.intern(s, a, this.i);
    }
    let k = a;
    if (s[k] === 45) k++;
    const d0 = k;
    while (s[k]! >= 48 && s[k]! <= 57) k++;
    if (k === d0 || (k - d0 > 1 && s[d0] === 48) || k - d0 > 15) throw FALLBACK;
    const c = s[k];
    if (c === 46 || c === 101 || c === 69) throw FALLBACK;
    this.i = k;
    return this.processes.intern(s, a, k);
  }

  /** An integer (fractions and exponents go to the reference reader). */
  private num(): number {
    const s = this.s;
    let k = this.i;
    let neg = false;
    if (s[k] === 45) {
      neg = true;
      k++;
    }
    let v = 0;
    const d0 = k;
    let c = s[k]!;
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = s[++k]!;
    }
    if (k === d0 || k - d0 > 15 || c === 46 || c === 101 || c === 69) throw FALLBACK;
    this.i = k;
    return neg ? -v : v;
  }

  private isNull(): boolean {
    const s = this.s;
    if (s[this.i] === 110 && s[this.i + 1] === 117 && s[this.i + 2] === 108 && s[this.i + 3] === 108) {
      this.i += 4;
      return true;
    }
    return false;
  }

  /** Walks an object, calling `field(keyStart, keyLength)` positioned at each value. */
  private object(field: (ks: number, klen: number) => void): void {
    const s = this.s;
    this.i++; // {
    this.ws();
    if (s[this.i] === 125) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      const ks = this.str();
      const klen = this.strEnd - ks;
      this.ws();
      if (s[this.i] !== 58) throw FALLBACK;
      this.i++;
      this.ws();
      field(ks, klen);
      this.ws();
      const c = s[this.i++];
      if (c === 44) continue;
      if (c === 125) return;
      throw FALLBACK;
    }
  }

  private array(element: () => void): void {
    const s = this.s;
    if (s[this.i] !== 91) throw FALLBACK;
    this.i++;
    this.ws();
    if (s[this.i] === 93) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      element();
      this.ws();
      const c = s[this.i++];
      if (c === 44) continue;
      if (c === 93) return;
      throw FALLBACK;
    }
  }

  /** Skips any JSON value (escapes included). */
  private skip(): void {
    const s = this.s;
    const c = s[this.i];
    if (c === 34) {
      this.i++;
      for (;;) {
        const d = s[this.i++];
        if (d === 34) return;
        if (d === 92) this.i++;
        else if (d === undefined || d === 10) throw FALLBACK;
      }
    }
    if (c === 123 || c === 91) {
      let depth = 0;
      for (;;) {
        const d = s[this.i++];
        if (d === undefined || d === 10) throw FALLBACK;
        if (d === 34) {
          for (;;) {
            const e = s[this.i++];
            if (e === 34) break;
            if (e === 92) this.i++;
            else if (e === undefined || e === 10) throw FALLBACK;
          }
        } else if (d === 123 || d === 91) depth++;
        else if (d === 125 || d === 93) {
          if (--depth === 0) return;
        }
      }
    }
    // A literal, or a number (its digits, sign, point and exponent; JSON.parse judges the rest).
    if (c === 116 || c === 102 || c === 110) {
      const word = c === 116 ? LITERALS.true : c === 102 ? LITERALS.false : LITERALS.null;
      if (!this.keyIs(this.i, word)) throw FALLBACK;
      this.i += word.length;
      return;
    }
    const start = this.i;
    for (;;) {
      const d = s[this.i]!;
      if (!((d >= 48 && d <= 57) || d === 45 || d === 43 || d === 46 || d === 101 || d === 69)) break;
      this.i++;
    }
    if (this.i === start) throw FALLBACK;
  }
}

/** A canonical decimal (no leading zero unless "0") in s[a, b), or -1. */
function digits(s: Uint8Array, a: number, b: number): number {
  if (b - a > 1 && s[a] === 48) return -1;
  let v = 0;
  for (let k = a; k < b; k++) {
    const c = s[k]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
