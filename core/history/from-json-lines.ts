/**
 * JSON lines → the compact encoding, losslessly: a line whose shape is one the recorder writes
 * becomes events (a send, poll, commit as numbers); any other line, or one that would not render
 * back to the very same text (other key order, spacing, escapes, a process given as a string ...),
 * is kept whole as a TEXT record. Every line is checked by rendering its events again, so
 * `compact → JSON lines` gives back the input byte for byte (whatever it holds, even malformed
 * lines, which the checker then reports at the same line number).
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { ByteWriter } from "./byte-writer.js";
import { CompactEncoder } from "./compact.js";
import { type EventChunk, OP } from "./events.js";
import { HistoryFormatter } from "./formatter.js";

const CHUNK_SLOTS = 1 << 16;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isUint = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
/** `"P-S"` as [P, S] (canonical decimals), or null. */
function idParts(id: unknown): [number, number] | null {
  if (typeof id !== "string") return null;
  const m = /^(0|[1-9]\d{0,14})-(0|[1-9]\d{0,14})$/.exec(id);
  return m === null ? null : [Number(m[1]), Number(m[2])];
}

export class JsonLinesToCompact {
  private readonly encoder: CompactEncoder;
  private readonly ids = new Map<string, number>();
  private nextId = 0;
  private ev = new Float64Array(CHUNK_SLOTS);
  private n = 0;
  private strings: string[] = [];
  private stringIds: number[] = [];
  /** Renders a candidate line's events, to compare with the line. */
  private readonly out: Buffer[] = [];
  private readonly probeWriter = new ByteWriter(1 << 16, (chunk, release) => {
    this.out.push(Buffer.from(chunk)); // a copy: the chunk is reused
    release();
  });
  private readonly probe = new HistoryFormatter(this.probeWriter);
  /** Strings defined since the last probe, which the probe formatter has not seen yet. */
  private probeStrings: string[] = [];
  private probeIds: number[] = [];
  /** Lines kept whole / turned into events. */
  textLines = 0;
  eventLines = 0;

  /** `blockBytes`: the encoder's block size (tests make it small to get many blocks). */
  constructor(onBlock: (block: Buffer, release: () => void) => void, blockBytes?: number) {
    this.encoder = new CompactEncoder(onBlock, blockBytes);
    onBlock(this.encoder.header(), () => {});
  }

  /** One line, without its newline. */
  line(text: string): void {
    const events = this.eventsOf(text);
    if (events !== null && this.renders(events, text)) {
      this.push(events);
      this.eventLines++;
      return;
    }
    const id = this.nextId++;
    this.define(id, `${text}\n`);
    this.push([OP.TEXT, id]);
    this.textLines++;
  }

  /** Hands over everything (the last block included). */
  finish(): void {
    this.ship();
    this.encoder.flush();
  }

  private str(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(s, id);
      this.define(id, s);
      this.probeStrings.push(s);
      this.probeIds.push(id);
    }
    return id;
  }

  private define(id: number, s: string): void {
    this.strings.push(s);
    this.stringIds.push(id);
  }

  private push(events: readonly number[]): void {
    if (this.n + events.length > this.ev.length) {
      this.ship();
      if (events.length > this.ev.length) this.ev = new Float64Array(events.length);
    }
    for (const e of events) this.ev[this.n++] = e;
  }

  private ship(): void {
    if (this.n === 0 && this.strings.length === 0) return;
    const chunk: EventChunk = {
      events: this.ev,
      length: this.n,
      firstString: 0,
      strings: this.strings,
      stringIds: this.stringIds,
    };
    this.encoder.consume(chunk);
    this.n = 0;
    this.strings = [];
    this.stringIds = [];
  }

  private renders(events: readonly number[], text: string): boolean {
    this.probe.consume({
      events: Float64Array.from(events),
      length: events.length,
      firstString: 0,
      strings: this.probeStrings,
      stringIds: this.probeIds,
    });
    this.probeStrings = [];
    this.probeIds = [];
    this.probeWriter.flush();
    return Buffer.concat(this.out.splice(0)).toString("utf8") === `${text}\n`;
  }

  /** The events of a line in one of the recorder's shapes, or null. */
  private eventsOf(text: string): number[] | null {
    let r: unknown;
    try {
      r = JSON.parse(text);
    } catch {
      return null;
    }
    if (!isObject(r) || !isUint(r["process"]) || !isUint(r["time"])) return null;
    const { type, f, process, time } = r as { type: unknown; f: unknown; process: number; time: number };
    const group = r["group"];
    const value = r["value"];
    if (f === "send" && (type === "invoke" || type === "ok") && Array.isArray(value) && value.length > 0)
      return this.send(type === "ok", process, time, value);
    if (typeof group !== "string") return null;
    if (f === "poll" && type === "invoke") return [OP.POLL_INVOKE, process, time, this.str(group)];
    if (f === "poll" && type === "ok" && Array.isArray(value)) return this.poll(process, time, group, value);
    if (f === "commit" && type === "ok") return this.commit(process, time, group, value);
    return null;
  }

  private send(ok: boolean, process: number, time: number, value: unknown[]): number[] | null {
    const first = value[0];
    if (!isObject(first) || typeof first["topic"] !== "string") return null;
    const head = idParts(first["id"]);
    if (head === null) return null;
    const topic = first["topic"];
    const keyed = value.some((m) => isObject(m) && "key" in m);
    // Properties are all or nothing in a recorded batch; anything else stays text.
    const withProps = value.filter((m) => isObject(m) && "props" in m).length;
    if (withProps !== 0 && withProps !== value.length) return null;
    const keys: number[] = [];
    const props: number[] = [];
    const acks: number[] = [];
    for (const [i, m] of value.entries()) {
      if (!isObject(m) || m["topic"] !== topic) return null;
      const id = idParts(m["id"]);
      if (id === null || id[0] !== head[0] || id[1] !== head[1] + i) return null;
      const key = m["key"];
      if (key !== undefined && typeof key !== "string") return null;
      if (keyed) keys.push(key === undefined ? -1 : this.str(key));
      if (withProps > 0) {
        if (!isObject(m["props"])) return null;
        props.push(this.str(JSON.stringify(m["props"])));
      }
      if (ok) {
        const offset = m["offset"];
        if (!isUint(m["partition"]) || !(offset === null || typeof offset === "number")) return null;
        acks.push(m["partition"], offset === null ? -1 : offset);
      }
    }
    return [
      ok ? OP.SEND_OK : OP.SEND_INVOKE,
      process,
      time,
      this.str(topic),
      head[0],
      head[1],
      value.length,
      keyed ? 1 : 0,
      ...keys,
      withProps > 0 ? 1 : 0,
      ...props,
      ...acks,
    ];
  }

  private poll(process: number, time: number, group: string, value: unknown[]): number[] | null {
    const events = [OP.POLL_OK, process, time, this.str(group), value.length];
    for (const m of value) {
      if (!isObject(m) || typeof m["topic"] !== "string" || !isUint(m["partition"])) return null;
      const id = idParts(m["id"]);
      const offset = m["offset"];
      if (id === null || !(offset === null || typeof offset === "number")) return null;
      if (typeof m["redelivered"] !== "boolean") return null;
      events.push(
        id[0],
        id[1],
        this.str(m["topic"]),
        m["partition"],
        offset === null ? -1 : offset,
        m["redelivered"] ? 1 : 0,
      );
    }
    return events;
  }

  private commit(process: number, time: number, group: string, value: unknown): number[] | null {
    if (Array.isArray(value)) {
      const events = [OP.COMMIT_OFFSETS, process, time, this.str(group), value.length];
      for (const o of value) {
        if (!isObject(o) || typeof o["topic"] !== "string" || !isUint(o["partition"])) return null;
        if (typeof o["offset"] !== "number") return null;
        events.push(this.str(o["topic"]), o["partition"], o["offset"]);
      }
      return events;
    }
    if (!isObject(value) || !Array.isArray(value["ids"])) return null;
    const ids = value["ids"] as unknown[];
    const events = [OP.COMMIT_IDS, process, time, this.str(group), ids.length];
    for (const id of ids) {
      const parts = idParts(id);
      if (parts === null) return null;
      events.push(parts[0], parts[1]);
    }
    return events;
  }
}

/**
 * Converts a JSON lines history file into a compact one. An unterminated last line that is not
 * JSON (a recorder that died mid-line) is left out and reported, as the checker skips it.
 */
export function jsonLinesFileToCompact(
  input: string,
  output: string,
  options: { blockBytes?: number } = {},
): { lines: number; eventLines: number; textLines: number; bytes: number; truncated: string | null } {
  const inFd = openSync(input, "r");
  const outFd = openSync(output, "w");
  let bytes = 0;
  let truncated: string | null = null;
  try {
    const conv = new JsonLinesToCompact((block) => {
      bytes += block.length;
      let off = 0;
      while (off < block.length) off += writeSync(outFd, block, off, block.length - off);
    }, options.blockBytes);
    let buf = Buffer.allocUnsafe(8 << 20);
    let carry = 0;
    let pos = 0;
    for (;;) {
      if (carry === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const n = readSync(inFd, buf, carry, buf.length - carry, pos);
      pos += n;
      const end = carry + n;
      let start = 0;
      for (let nl = buf.indexOf(10, carry); nl >= 0 && nl < end; nl = buf.indexOf(10, start)) {
        conv.line(buf.toString("utf8", start, nl));
        start = nl + 1;
      }
      if (n === 0) {
        if (start < end) {
          const last = buf.toString("utf8", start, end);
          let json = true;
          try {
            JSON.parse(last);
          } catch {
            json = false;
          }
          if (json) conv.line(last);
          else truncated = `the last line (${end - start} bytes, no newline) is cut short: left out`;
        }
        break;
      }
      buf.copy(buf, 0, start, end);
      carry = end - start;
    }
    conv.finish();
    return {
      lines: conv.eventLines + conv.textLines,
      eventLines: conv.eventLines,
      textLines: conv.textLines,
      bytes,
      truncated,
    };
  } finally {
    closeSync(inFd);
    closeSync(outFd);
  }
}
