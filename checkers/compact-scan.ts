/**
 * The compact encoding's counterpart of the byte scanner: one decoded block (the recorder's
 * events, core/history/compact.ts) into the scanner's columns, so the same replay feeds the
 * builder whichever encoding the history is in. Field for field what scan.ts extracts from the
 * JSON line the formatter writes for the same event; whole lines (TEXT) go to the reference reader.
 */

import { ByteWriter } from "../core/history/byte-writer.js";
import { type BlockHeader, blockIntact, CompactFormatError, decodeBlock } from "../core/history/compact.js";
import type { EventChunk } from "../core/history/events.js";
import { OP as EV } from "../core/history/events.js";
import { HistoryFormatter } from "../core/history/formatter.js";
import { ITEM_WIDTH, OP, OP_WIDTH, type ScanResult } from "./scan.js";

/** Ids "P-S" outside these bounds are kept by text, as scan.ts does. */
const MAX_P = 1 << 20;
const MAX_S = 1 << 26;
/** Names numbered below this are looked up by direct addressing, others through a Map. */
const DIRECT = 1 << 22;

/** Dense local ids for the names one block uses (by the recorder's number for them), in first-use order. */
class Local {
  readonly names: string[] = [];
  private byKey = new Int32Array(64);
  private readonly large = new Map<number, number>();
  constructor(private readonly nameOf: (key: number) => string) {}
  of(key: number): number {
    if (key >= DIRECT) {
      let id = this.large.get(key);
      if (id === undefined) {
        id = this.names.push(this.nameOf(key)) - 1;
        this.large.set(key, id);
      }
      return id;
    }
    if (key >= this.byKey.length) {
      const bigger = new Int32Array(Math.max(key + 1, this.byKey.length * 2));
      bigger.set(this.byKey);
      this.byKey = bigger;
    }
    const id = this.byKey[key]!;
    if (id !== 0) return id - 1;
    this.names.push(this.nameOf(key));
    this.byKey[key] = this.names.length;
    return this.names.length - 1;
  }
}

/** `lines` and `items`: the block header's counts (the columns are sized by them, grown if short). */
export function scanEvents(chunk: EventChunk, lines: number, itemCount = 1024): ScanResult {
  const strings = new Map<number, string>();
  const sids = chunk.stringIds;
  for (let i = 0; i < chunk.strings.length; i++)
    strings.set(sids === undefined ? chunk.firstString + i : sids[i]!, chunk.strings[i]!);
  const str = (id: number) => strings.get(id) ?? "";
  const processes = new Local(String);
  const groups = new Local(str);
  const topics = new Local(str);
  const keys = new Local(str);
  const proc = (p: number) => processes.of(p);

  const ev = chunk.events;
  // One event back to its JSON line, for the lines the columns cannot hold.
  let formatter: { render: (events: Float64Array) => string } | null = null;
  const renderLine = (events: Float64Array): string => {
    formatter ??= lineRenderer(chunk);
    return formatter.render(events);
  };
  let items = new Int32Array(ITEM_WIDTH * Math.max(1, itemCount));
  let offsets = new Float64Array(Math.max(1, itemCount));
  let nItems = 0;
  const ops = new Int32Array(OP_WIDTH * lines);
  let nOps = 0;
  const raws: string[] = [];
  const otherIds: string[] = [];
  const room = (k: number) => {
    if (nItems + k <= offsets.length) return;
    const size = Math.max(offsets.length * 2, nItems + k);
    const i2 = new Int32Array(size * ITEM_WIDTH);
    i2.set(items);
    items = i2;
    const o2 = new Float64Array(size);
    o2.set(offsets);
    offsets = o2;
  };
  const item = (p: number, s: number, topic: number, part: number, key: number, offset: number) => {
    const o = nItems * ITEM_WIDTH;
    items[o] = 0;
    if (p < MAX_P && s < MAX_S) {
      items[o + 1] = p;
      items[o + 2] = s;
    } else if (p >= 0) {
      otherIds.push(`${p}-${s}`);
      items[o + 1] = -1;
      items[o + 2] = otherIds.length - 1;
    } else {
      items[o + 1] = -1;
      items[o + 2] = -1;
    }
    items[o + 3] = topic;
    items[o + 4] = part;
    items[o + 5] = key;
    offsets[nItems++] = offset;
  };
  const op = (kind: number, type: number, p: number, g: number, line: number, start: number, aux = 0) => {
    const o = nOps++ * OP_WIDTH;
    ops[o] = kind;
    ops[o + 1] = type;
    ops[o + 2] = p;
    ops[o + 3] = g;
    ops[o + 4] = line;
    ops[o + 5] = start;
    ops[o + 6] = nItems;
    ops[o + 7] = aux;
  };

  let line = 0;
  let i = 0;
  while (i < chunk.length) {
    const kind = ev[i]!;
    line++;
    if (kind === EV.SEND_INVOKE || kind === EV.SEND_OK) {
      const ok = kind === EV.SEND_OK;
      const p = proc(ev[i + 1]!);
      const topicId = ev[i + 3]!;
      const topic = topics.of(topicId);
      const source = ev[i + 4]!;
      const firstSeq = ev[i + 5]!;
      const count = ev[i + 6]!;
      const hasKeys = ev[i + 7] === 1;
      const keysAt = i + 8;
      const propsFlag = keysAt + (hasKeys ? count : 0);
      const hasProps = ev[propsFlag] === 1;
      let at = propsFlag + 1 + (hasProps ? count : 0);
      if (hasProps) {
        // Message properties: the reference reader keeps them (as scan.ts leaves such lines to it).
        const end = at + (ok ? 2 * count : 0);
        raws.push(renderLine(ev.subarray(i, end)));
        op(OP.raw, 0, 0, 0, line, nItems, raws.length - 1);
        i = end;
        continue;
      }
      const start = nItems;
      room(count);
      for (let m = 0; m < count; m++) {
        const k = hasKeys ? ev[keysAt + m]! : -1;
        const key = k >= 0 ? keys.of(k) : -1;
        if (ok) {
          const off = ev[at + 1]!;
          item(source, firstSeq + m, topic, ev[at]!, key, off === -1 ? Number.NaN : off);
          at += 2;
        } else {
          item(source, firstSeq + m, topic, -1, key, Number.NaN);
        }
      }
      op(OP.send, ok ? 1 : 0, p, 0, line, start);
      i = at;
    } else if (kind === EV.POLL_OK) {
      const p = proc(ev[i + 1]!);
      const g = groups.of(ev[i + 3]!);
      const count = ev[i + 4]!;
      i += 5;
      const start = nItems;
      room(count);
      let lastTopic = -1;
      let topic = -1;
      for (let m = 0; m < count; m++, i += 6) {
        const t = ev[i + 2]!;
        if (t !== lastTopic) {
          lastTopic = t;
          topic = topics.of(t);
        }
        const off = ev[i + 4]!;
        item(ev[i]!, ev[i + 1]!, topic, ev[i + 3]!, -1, off === -1 ? Number.NaN : off);
      }
      // The scanner ignores a poll that delivered nothing.
      if (count > 0) op(OP.poll, 1, p, g, line, start);
    } else if (kind === EV.POLL_INVOKE) {
      i += 4; // the scanner keeps nothing of a poll invoke
    } else if (kind === EV.COMMIT_OFFSETS) {
      const p = proc(ev[i + 1]!);
      const g = groups.of(ev[i + 3]!);
      const n = ev[i + 4]!;
      i += 5;
      const start = nItems;
      room(n);
      for (let m = 0; m < n; m++, i += 3) {
        const t = ev[i]!;
        item(-1, -1, topics.of(t), ev[i + 1]!, -1, ev[i + 2]!);
      }
      op(OP.commitOffsets, 1, p, g, line, start);
    } else if (kind === EV.COMMIT_IDS) {
      const p = proc(ev[i + 1]!);
      const g = groups.of(ev[i + 3]!);
      const n = ev[i + 4]!;
      i += 5;
      const start = nItems;
      room(n);
      for (let m = 0; m < n; m++, i += 2) item(ev[i]!, ev[i + 1]!, -1, -1, -1, Number.NaN);
      op(OP.commitIds, 1, p, g, line, start);
    } else if (kind === EV.TEXT) {
      const text = strings.get(ev[i + 1]!) ?? "";
      raws.push(text.endsWith("\n") ? text.slice(0, -1) : text);
      op(OP.raw, 0, 0, 0, line, nItems, raws.length - 1);
      i += 2;
    } else {
      throw new Error(`compact history: unknown event ${kind}`);
    }
  }
  return {
    ops: ops.slice(0, nOps * OP_WIDTH),
    // Sized exactly by the header in every block a recorder wrote: no copy then.
    items: nItems === offsets.length ? items : items.slice(0, nItems * ITEM_WIDTH),
    offsets: nItems === offsets.length ? offsets : offsets.slice(0, nItems),
    raws,
    otherIds,
    names: { processes: processes.names, groups: groups.names, topics: topics.names, keys: keys.names },
    lines: line,
    lineStarts: new Int32Array(0),
    unterminated: false,
  };
}

/** Renders single events of `chunk` back to their JSON lines (without the newline). */
function lineRenderer(chunk: EventChunk): { render: (events: Float64Array) => string } {
  const out: Buffer[] = [];
  const writer = new ByteWriter(1 << 16, (c, release) => {
    out.push(Buffer.from(c));
    release();
  });
  const f = new HistoryFormatter(writer);
  const empty = new Float64Array(0);
  const { strings, firstString } = chunk;
  f.consume({
    events: empty,
    length: 0,
    firstString,
    strings,
    ...(chunk.stringIds ? { stringIds: chunk.stringIds } : {}),
  });
  return {
    render(events) {
      f.consume({
        events: Float64Array.from(events),
        length: events.length,
        firstString: 0,
        strings: [],
        stringIds: [],
      });
      writer.flush();
      return Buffer.concat(out.splice(0)).toString("utf8").replace(/\n$/, "");
    },
  };
}

/** The scanner's columns for one compact block: CRC checked, decoded, converted. */
export function scanBlock(payload: Uint8Array, name: string, header: BlockHeader): ScanResult {
  if (!blockIntact(payload, header)) throw new CompactFormatError(`${name}: damaged (CRC mismatch)`);
  return scanEvents(decodeBlock(payload, header, name), header.lines, header.items);
}
