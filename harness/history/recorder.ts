/**
 * The history recorder: writes what a run observed in the format of shared/HISTORY.md, one line per
 * operation, streamed to disk (see FileSink), never held in memory.
 *
 * Hot path: one `send` line per batch and one `poll` line per delivered batch, built by string
 * concatenation of known fields (ids are `${process}-${sequence}`, numbers need no escaping, and
 * topic, group and key strings are JSON-quoted once and cached), not JSON.stringify per message.
 */
import type { Assignment, CommitValue, Delivery, SendAck } from "../../adapters/contract.js";
import type { Expectation } from "../../checkers/verdict.js";
import { monoNs } from "../clock.js";
import { FileSink } from "./file-sink.js";

export const HISTORY_FORMAT = 1;

export interface HistoryMeta {
  readonly adapter: string;
  readonly workload: string;
  readonly model: "log" | "queue";
  readonly expect: Expectation;
}

/** A batch one producer sends to one topic: messages `${process}-${firstSeq + i}`. */
export interface SentBatch {
  readonly process: number;
  readonly topic: string;
  readonly firstSeq: number;
  readonly count: number;
  /** Per message, or null when the batch carries no keys. */
  readonly keys: readonly (string | null)[] | null;
}

/** Ids of delivered messages, decoded from their payloads: message i is `${procs[i]}-${seqs[i]}`. */
export interface DeliveredIds {
  readonly procs: Uint32Array;
  readonly seqs: Uint32Array;
}

const QUOTE_CACHE_LIMIT = 100_000;

export class HistoryRecorder {
  readonly path: string;
  private readonly sink: FileSink;
  private readonly quoted = new Map<string, string>();
  private lines = 0;

  constructor(path: string, options: { chunkChars?: number } = {}) {
    this.path = path;
    this.sink = new FileSink(path, options);
  }

  get lineCount(): number {
    return this.lines;
  }

  private q(s: string): string {
    let v = this.quoted.get(s);
    if (v === undefined) {
      v = JSON.stringify(s);
      if (this.quoted.size < QUOTE_CACHE_LIMIT) this.quoted.set(s, v);
    }
    return v;
  }

  private line(text: string): void {
    this.lines++;
    this.sink.append(text);
  }

  meta(meta: HistoryMeta): void {
    const value = { format: HISTORY_FORMAT, ...meta };
    this.line(`{"type":"ok","f":"meta","value":${JSON.stringify(value)}}\n`);
  }

  /** The messages of a send line; with `acks`, each with its partition and offset. */
  private sendValue(b: SentBatch, acks: readonly SendAck[] | null): string {
    const head = `{"id":"${b.process}-`;
    const topic = `","topic":${this.q(b.topic)}`;
    let out = "[";
    for (let i = 0; i < b.count; i++) {
      if (i > 0) out += ",";
      out += head + (b.firstSeq + i) + topic;
      const key = b.keys?.[i];
      if (key != null) out += `,"key":${this.q(key)}`;
      if (acks) {
        const a = acks[i]!;
        out += `,"partition":${a.partition},"offset":${a.offset === null ? "null" : a.offset}`;
      }
      out += "}";
    }
    return out + "]";
  }

  sendInvoke(b: SentBatch): void {
    this.line(
      `{"type":"invoke","f":"send","process":${b.process},"time":${monoNs()},"value":${this.sendValue(b, null)}}\n`,
    );
  }

  sendOk(b: SentBatch, acks: readonly SendAck[]): void {
    this.line(
      `{"type":"ok","f":"send","process":${b.process},"time":${monoNs()},"value":${this.sendValue(b, acks)}}\n`,
    );
  }

  /** `definite`: the broker certainly did not take the batch (`fail`); otherwise unknown (`info`). */
  sendFailed(b: SentBatch, definite: boolean, error: string): void {
    this.line(
      `{"type":"${definite ? "fail" : "info"}","f":"send","process":${b.process},"time":${monoNs()},` +
        `"value":${this.sendValue(b, null)},"error":${JSON.stringify(error)}}\n`,
    );
  }

  pollInvoke(process: number, group: string): void {
    this.line(
      `{"type":"invoke","f":"poll","process":${process},"group":${this.q(group)},"time":${monoNs()}}\n`,
    );
  }

  pollOk(process: number, group: string, deliveries: readonly Delivery[], ids: DeliveredIds): void {
    let out = `{"type":"ok","f":"poll","process":${process},"group":${this.q(group)},"time":${monoNs()},"value":[`;
    const { procs, seqs } = ids;
    for (let i = 0; i < deliveries.length; i++) {
      const d = deliveries[i]!;
      if (i > 0) out += ",";
      out +=
        `{"id":"${procs[i]}-${seqs[i]}","topic":${this.q(d.topic)},"partition":${d.partition},` +
        `"offset":${d.offset === null ? "null" : d.offset},"redelivered":${d.redelivered}}`;
    }
    this.line(out + "]}\n");
  }

  /** An operation whose outcome is unknown (an error from the client): `info`, and the process is spent. */
  info(process: number, f: "poll" | "commit", group: string, error: string): void {
    this.line(
      `{"type":"info","f":"${f}","process":${process},"group":${this.q(group)},"time":${monoNs()},` +
        `"error":${JSON.stringify(error)}}\n`,
    );
  }

  /** Log model: the committed offsets. Queue model: the ids of the acknowledged deliveries. */
  commit(process: number, group: string, value: CommitValue, ids: DeliveredIds, count: number): void {
    let v: string;
    if (value.kind === "offsets") {
      v = "[";
      for (let i = 0; i < value.offsets.length; i++) {
        const o = value.offsets[i]!;
        if (i > 0) v += ",";
        v += `{"topic":${this.q(o.topic)},"partition":${o.partition},"offset":${o.offset}}`;
      }
      v += "]";
    } else {
      const n = Math.min(value.count, count);
      v = '{"ids":[';
      for (let i = 0; i < n; i++) v += `${i > 0 ? "," : ""}"${ids.procs[i]}-${ids.seqs[i]}"`;
      v += "]}";
    }
    this.line(
      `{"type":"ok","f":"commit","process":${process},"group":${this.q(group)},"time":${monoNs()},"value":${v}}\n`,
    );
  }

  assign(process: number, group: string, assignment: Assignment): void {
    const value = { partitions: assignment.partitions, from: assignment.from };
    this.line(
      `{"type":"ok","f":"assign","process":${process},"group":${this.q(group)},"time":${monoNs()},` +
        `"value":${JSON.stringify(value)}}\n`,
    );
  }

  crash(process: number): void {
    this.line(`{"type":"info","f":"crash","process":${process},"time":${monoNs()}}\n`);
  }

  /** The group starts reading until caught up; `complete` once it has. */
  drain(group: string, complete: boolean): void {
    this.line(
      `{"type":"ok","f":"drain","group":${this.q(group)},"time":${monoNs()}` +
        `${complete ? ',"value":{"complete":true}' : ""}}\n`,
    );
  }

  get bytesWritten(): number {
    return this.sink.bytesWritten;
  }

  async close(): Promise<void> {
    await this.sink.close();
  }
}
