/**
 * Turns event chunks (events.ts) into history lines (docs/HISTORY.md) as bytes: literals and
 * JSON-quoted strings are encoded once, numbers written as digits, nothing allocated per message.
 * Runs on the recorder's worker thread, or in-thread where no worker is available.
 */
import { type ByteWriter, DecimalDigits } from "./byte-writer.js";
import { type EventChunk, OP } from "./events.js";

const b = (s: string) => Buffer.from(s, "latin1");
const L = {
  sendInvoke: b('{"type":"invoke","f":"send","process":'),
  sendOk: b('{"type":"ok","f":"send","process":'),
  pollInvoke: b('{"type":"invoke","f":"poll","process":'),
  pollOk: b('{"type":"ok","f":"poll","process":'),
  commitOk: b('{"type":"ok","f":"commit","process":'),
  time: b(',"time":'),
  group: b(',"group":'),
  value: b(',"value":['),
  id: b('{"id":"'),
  nextId: b(',{"id":"'),
  comma: b(","),
  topic: b('","topic":'),
  key: b(',"key":'),
  props: b(',"props":'),
  partition: b(',"partition":'),
  offset: b(',"offset":'),
  redeliveredFalse: b(',"redelivered":false}'),
  redeliveredTrue: b(',"redelivered":true}'),
  null: b("null"),
  idsValue: b(',"value":{"ids":['),
  topicOpen: b('{"topic":'),
  end: b("}\n"),
  arrayEnd: b("]}\n"),
  idsEnd: b("]}}\n"),
};
const COMMA = 44;
const DASH = 45;
const QUOTE = 34;
const CLOSE_BRACE = 125;
/** Room for one entry besides its strings: literals and up to four 20-digit numbers. */
const ENTRY = 200;

export class HistoryFormatter {
  private readonly w: ByteWriter;
  private readonly strings: (string | undefined)[] = [];
  private readonly quoted: (Buffer | undefined)[] = [];
  private readonly rawText: (Buffer | undefined)[] = [];
  /** Per topic id: `","topic":T` (closing `}` appended for sends without ack), and `","topic":T,"partition":`. */
  private readonly segments: ({ invoke: Buffer; withPartition: Buffer } | undefined)[] = [];
  lines = 0;
  /** Sequences and offsets mostly go up by one from entry to entry. */
  private readonly seq = new DecimalDigits();
  private readonly off = new DecimalDigits();

  constructor(w: ByteWriter) {
    this.w = w;
  }

  /** The string itself (JSON text already: a message's properties), as bytes. */
  private raw(id: number): Buffer {
    let v = this.rawText[id];
    if (v === undefined) {
      v = Buffer.from(this.strings[id] ?? "{}", "utf8");
      this.rawText[id] = v;
    }
    return v;
  }

  private q(id: number): Buffer {
    let v = this.quoted[id];
    if (v === undefined) {
      v = Buffer.from(JSON.stringify(this.strings[id] ?? ""), "utf8");
      this.quoted[id] = v;
    }
    return v;
  }

  private segment(topicId: number): { invoke: Buffer; withPartition: Buffer } {
    let v = this.segments[topicId];
    if (v === undefined) {
      const t = this.q(topicId);
      v = {
        invoke: Buffer.concat([L.topic, t]),
        withPartition: Buffer.concat([L.topic, t, L.partition]),
      };
      this.segments[topicId] = v;
    }
    return v;
  }

  private head(literal: Buffer, process: number, time: number, group: Buffer | null): void {
    const w = this.w;
    this.lines++;
    w.reserve(ENTRY + (group?.length ?? 0));
    w.bytes(literal);
    w.uint(process);
    if (group) {
      w.bytes(L.group);
      w.bytes(group);
    }
    w.bytes(L.time);
    w.uint(time);
  }

  private offset(o: number): void {
    if (o < 0) this.w.bytes(L.null);
    else if (Number.isSafeInteger(o)) this.w.decimal(this.off.set(o));
    else this.w.number(o);
  }

  /** Formats every event of the chunk. */
  consume(chunk: EventChunk): void {
    for (let i = 0; i < chunk.strings.length; i++) this.strings[chunk.firstString + i] = chunk.strings[i];
    const ev = chunk.events;
    const w = this.w;
    let i = 0;
    while (i < chunk.length) {
      const op = ev[i]!;
      if (op === OP.SEND_INVOKE || op === OP.SEND_OK) {
        const process = ev[i + 1]!;
        const time = ev[i + 2]!;
        const topicId = ev[i + 3]!;
        const topic = this.q(topicId);
        const source = ev[i + 4]!;
        const firstSeq = ev[i + 5]!;
        const count = ev[i + 6]!;
        const hasKeys = ev[i + 7] === 1;
        i += 8;
        const keysAt = i;
        if (hasKeys) i += count;
        const hasProps = ev[i] === 1;
        i += 1;
        const propsAt = i;
        if (hasProps) i += count;
        this.head(op === OP.SEND_OK ? L.sendOk : L.sendInvoke, process, time, null);
        w.bytes(L.value);
        const seg = this.segment(topicId);
        // `{"id":"P-` once per line; every entry then needs only its sequence and the topic segment.
        w.reserve(ENTRY);
        const idHead = Buffer.concat([L.id, Buffer.from(`${source}-`, "latin1")]);
        const nextHead = Buffer.concat([L.comma, idHead]);
        for (let m = 0; m < count; m++) {
          const key = hasKeys ? ev[keysAt + m]! : -1;
          const qk = key >= 0 ? this.q(key) : null;
          const qp = hasProps ? this.raw(ev[propsAt + m]!) : null;
          w.reserve(ENTRY + topic.length + (qk?.length ?? 0) + (qp?.length ?? 0));
          w.bytes(m > 0 ? nextHead : idHead);
          w.decimal(this.seq.set(firstSeq + m));
          if (op === OP.SEND_OK) {
            if (qk !== null || qp !== null) {
              w.bytes(seg.invoke);
              if (qk !== null) {
                w.bytes(L.key);
                w.bytes(qk);
              }
              if (qp !== null) {
                w.bytes(L.props);
                w.bytes(qp);
              }
              w.bytes(L.partition);
            } else {
              w.bytes(seg.withPartition);
            }
            w.uint(ev[i]!);
            w.bytes(L.offset);
            this.offset(ev[i + 1]!);
            i += 2;
          } else {
            w.bytes(seg.invoke);
            if (qk !== null) {
              w.bytes(L.key);
              w.bytes(qk);
            }
            if (qp !== null) {
              w.bytes(L.props);
              w.bytes(qp);
            }
          }
          w.byte(CLOSE_BRACE);
        }
        w.reserve(4);
        w.bytes(L.arrayEnd);
      } else if (op === OP.POLL_OK) {
        this.head(L.pollOk, ev[i + 1]!, ev[i + 2]!, this.q(ev[i + 3]!));
        const count = ev[i + 4]!;
        i += 5;
        w.bytes(L.value);
        for (let m = 0; m < count; m++, i += 6) {
          const seg = this.segment(ev[i + 2]!);
          w.reserve(ENTRY + seg.withPartition.length);
          w.bytes(m > 0 ? L.nextId : L.id);
          w.uint(ev[i]!);
          w.byte(DASH);
          w.decimal(this.seq.set(ev[i + 1]!));
          w.bytes(seg.withPartition);
          w.uint(ev[i + 3]!);
          w.bytes(L.offset);
          this.offset(ev[i + 4]!);
          w.bytes(ev[i + 5] === 1 ? L.redeliveredTrue : L.redeliveredFalse);
        }
        w.reserve(4);
        w.bytes(L.arrayEnd);
      } else if (op === OP.POLL_INVOKE) {
        this.head(L.pollInvoke, ev[i + 1]!, ev[i + 2]!, this.q(ev[i + 3]!));
        i += 4;
        w.reserve(2);
        w.bytes(L.end);
      } else if (op === OP.COMMIT_OFFSETS) {
        this.head(L.commitOk, ev[i + 1]!, ev[i + 2]!, this.q(ev[i + 3]!));
        const n = ev[i + 4]!;
        i += 5;
        w.bytes(L.value);
        for (let m = 0; m < n; m++, i += 3) {
          const topic = this.q(ev[i]!);
          w.reserve(ENTRY + topic.length);
          if (m > 0) w.byte(COMMA);
          w.bytes(L.topicOpen);
          w.bytes(topic);
          w.bytes(L.partition);
          w.uint(ev[i + 1]!);
          w.bytes(L.offset);
          w.number(ev[i + 2]!);
          w.byte(CLOSE_BRACE);
        }
        w.reserve(4);
        w.bytes(L.arrayEnd);
      } else if (op === OP.COMMIT_IDS) {
        this.head(L.commitOk, ev[i + 1]!, ev[i + 2]!, this.q(ev[i + 3]!));
        const n = ev[i + 4]!;
        i += 5;
        w.bytes(L.idsValue);
        for (let m = 0; m < n; m++, i += 2) {
          w.reserve(48);
          if (m > 0) w.byte(COMMA);
          w.byte(QUOTE);
          w.uint(ev[i]!);
          w.byte(DASH);
          w.uint(ev[i + 1]!);
          w.byte(QUOTE);
        }
        w.reserve(5);
        w.bytes(L.idsEnd);
      } else if (op === OP.TEXT) {
        const id = ev[i + 1]!;
        const line = Buffer.from(this.strings[id] ?? "", "utf8");
        this.strings[id] = undefined;
        this.lines++;
        w.reserve(line.length);
        w.bytes(line);
        i += 2;
      } else {
        throw new Error(`history formatter: unknown event ${op} at ${i}`);
      }
    }
  }
}
