/**
 * The history recorder: writes what a run observed in the format of docs/HISTORY.md, one line per
 * operation, streamed to disk in chunks, never held in memory: compactly encoded by default
 * (core/history/compact.ts, a few bytes a message), or as JSON lines.
 *
 * The run's thread only encodes numbers into a Float64Array (core/history/events.ts); a worker
 * thread turns them into records and writes them, so on a 2-core machine recording runs beside the
 * broker instead of on top of it. Where the compiled worker is not available (tests run from the
 * TypeScript sources) the same encoder runs in-thread.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Assignment, CommitValue, Delivery, SendAck } from "../../adapters/contract.js";
import type { Expectation } from "../../checkers/verdict.js";
import { monoNs } from "../../core/clock.js";
import { COMPACT_EXTENSION } from "../../core/history/compact.js";
import type { PipelineMeta } from "../../core/history/computation.js";
import { type EventChunk, EventEncoder, OP } from "../../core/history/events.js";
import { type EventWriter, eventWriter, type HistoryEncoding } from "./encoders.js";
import { FileSink } from "./file-sink.js";

export const HISTORY_FORMAT = 1;

export interface HistoryMeta {
  readonly adapter: string;
  readonly workload: string;
  readonly model: "log" | "queue";
  readonly expect: Expectation;
  /** Each group's predicate (workload `predicates`), in the neutral syntax of core/predicates.ts. */
  readonly predicates?: Readonly<Record<string, string>>;
  /** A streaming pipeline's run: its topics, verifier group and mode (docs/HISTORY.md, Streaming computations). */
  readonly pipeline?: PipelineMeta;
}

/** A batch one producer sends to one topic: messages `${source ?? process}-${firstSeq + i}`. */
export interface SentBatch {
  /** The history process sending it. */
  readonly process: number;
  /** The payload's producer id, when not the process's (a retry by a new process of the same ids). */
  readonly source?: number;
  readonly topic: string;
  readonly firstSeq: number;
  readonly count: number;
  /** Per message, or null when the batch carries no keys. */
  readonly keys: readonly (string | null)[] | null;
  /** Per message, its properties as a JSON object's text (workload `predicates`); absent or null: none. */
  readonly props?: readonly string[] | null;
}

/** Ids of delivered messages, decoded from their payloads: message i is `${procs[i]}-${seqs[i]}`. */
export interface DeliveredIds {
  readonly procs: Uint32Array;
  readonly seqs: Uint32Array;
}

export type RecorderThread = "auto" | "worker" | "main";

const CHUNK_SLOTS = 1 << 18; // 2 MiB of events
/** Chunks the worker may be behind before the run's thread waits for it (memory bound: ~32 MiB). */
const MAX_IN_FLIGHT = 16;

interface Transport {
  ship(chunk: EventChunk): void;
  take(slots: number): Float64Array;
  close(): Promise<void>;
}

class InThreadTransport implements Transport {
  private readonly sink: FileSink;
  private readonly writer: EventWriter;
  private readonly free: Float64Array[] = [];

  constructor(path: string, encoding: HistoryEncoding, blockBytes?: number) {
    this.sink = new FileSink(path);
    this.writer = eventWriter(encoding, this.sink, blockBytes);
  }

  ship(chunk: EventChunk): void {
    this.writer.consume(chunk);
    if (chunk.events.length === CHUNK_SLOTS) this.free.push(chunk.events);
  }

  take(slots: number): Float64Array {
    return this.free.pop() ?? new Float64Array(slots);
  }

  async close(): Promise<void> {
    this.writer.finish();
    await this.sink.close();
  }
}

class WorkerTransport implements Transport {
  private readonly worker: Worker;
  private readonly consumed: Int32Array;
  private readonly free: Float64Array[] = [];
  private shipped = 0;
  private error: Error | null = null;
  private readonly closed: Promise<void>;

  constructor(path: string, encoding: HistoryEncoding, script: URL, blockBytes?: number) {
    const shared = new SharedArrayBuffer(4);
    this.consumed = new Int32Array(shared);
    this.worker = new Worker(script, {
      workerData: { path, encoding, consumed: shared, ...(blockBytes ? { blockBytes } : {}) },
    });
    this.closed = new Promise<void>((resolve, reject) => {
      this.worker.on("message", (msg: { recycle?: Float64Array; closed?: boolean; error?: string }) => {
        if (msg.recycle && msg.recycle.length === CHUNK_SLOTS && this.free.length < 4)
          this.free.push(msg.recycle);
        else if (msg.error) {
          this.error ??= new Error(`history recorder: ${msg.error}`);
          reject(this.error);
          void this.worker.terminate();
        } else if (msg.closed) resolve();
      });
      this.worker.on("error", (err) => {
        this.error ??= err;
        reject(err);
      });
      this.worker.on("exit", () => (this.error ? reject(this.error) : resolve()));
    });
    this.closed.catch(() => {}); // observed in close()
  }

  ship(chunk: EventChunk): void {
    if (this.error) throw this.error;
    // Backpressure: a worker that falls far behind makes this thread wait rather than buffer.
    for (let behind = this.shipped - Atomics.load(this.consumed, 0); behind >= MAX_IN_FLIGHT; ) {
      Atomics.wait(this.consumed, 0, Atomics.load(this.consumed, 0), 1000);
      behind = this.shipped - Atomics.load(this.consumed, 0);
      if (this.error) throw this.error;
    }
    this.shipped++;
    this.worker.postMessage(chunk, [chunk.events.buffer as ArrayBuffer]);
  }

  take(slots: number): Float64Array {
    return this.free.pop() ?? new Float64Array(slots);
  }

  async close(): Promise<void> {
    this.worker.postMessage({ close: true });
    await this.closed;
    if (this.error) throw this.error;
  }
}

/** The compiled worker beside this module, or null when running from the TypeScript sources. */
function workerScript(): URL | null {
  const url = new URL("./worker.js", import.meta.url);
  return import.meta.url.endsWith(".js") && existsSync(fileURLToPath(url)) ? url : null;
}

/** The encoding a history file's name implies: `.jsonl` JSON lines, anything else compact. */
export function encodingOf(path: string): HistoryEncoding {
  return path.endsWith(".jsonl") ? "jsonl" : "compact";
}

/** The history file name for an encoding: `history.bbh` or `history.jsonl`. */
export function historyFileName(encoding: HistoryEncoding): string {
  return encoding === "jsonl" ? "history.jsonl" : `history${COMPACT_EXTENSION}`;
}

export interface RecorderOptions {
  readonly thread?: RecorderThread;
  /** By default what the file name implies (encodingOf). */
  readonly encoding?: HistoryEncoding;
  /** The compact encoding's block size (tests make it small to get many blocks). */
  readonly blockBytes?: number;
}

export class HistoryRecorder {
  readonly path: string;
  readonly thread: "worker" | "main";
  readonly encoding: HistoryEncoding;
  private readonly transport: Transport;
  private readonly enc: EventEncoder;

  constructor(path: string, options: RecorderOptions = {}) {
    this.path = path;
    this.encoding = options.encoding ?? encodingOf(path);
    const wanted = options.thread ?? "auto";
    const script = wanted === "main" ? null : workerScript();
    if (wanted === "worker" && script === null) {
      throw new Error("history recorder: the compiled worker (dist/harness/history/worker.js) is missing");
    }
    this.transport = script
      ? new WorkerTransport(path, this.encoding, script, options.blockBytes)
      : new InThreadTransport(path, this.encoding, options.blockBytes);
    this.thread = script ? "worker" : "main";
    this.enc = new EventEncoder(
      CHUNK_SLOTS,
      (chunk) => this.transport.ship(chunk),
      (slots) => this.transport.take(slots),
    );
  }

  private text(line: string): void {
    const id = this.enc.once(line);
    const ev = this.enc.reserve(2);
    let n = this.enc.n;
    ev[n++] = OP.TEXT;
    ev[n++] = id;
    this.enc.n = n;
  }

  meta(meta: HistoryMeta): void {
    this.text(`{"type":"ok","f":"meta","value":${JSON.stringify({ format: HISTORY_FORMAT, ...meta })}}\n`);
  }

  private send(op: number, batch: SentBatch, acks: readonly SendAck[] | null): void {
    const enc = this.enc;
    const topic = enc.str(batch.topic);
    const count = batch.count;
    const keys = batch.keys;
    // Keys are interned before reserving: interning may not ship a chunk, reserving may.
    let keyIds: number[] | null = null;
    if (keys !== null) {
      keyIds = new Array<number>(count);
      for (let i = 0; i < count; i++) {
        const k = keys[i];
        keyIds[i] = k == null ? -1 : enc.str(k);
      }
    }
    // Few distinct property sets: interned like keys.
    const props = batch.props ?? null;
    let propIds: number[] | null = null;
    if (props !== null) {
      propIds = new Array<number>(count);
      for (let i = 0; i < count; i++) propIds[i] = enc.str(props[i]!);
    }
    const ev = enc.reserve(9 + (keyIds ? count : 0) + (propIds ? count : 0) + (acks ? 2 * count : 0));
    let n = enc.n;
    ev[n++] = op;
    ev[n++] = batch.process;
    ev[n++] = monoNs();
    ev[n++] = topic;
    ev[n++] = batch.source ?? batch.process;
    ev[n++] = batch.firstSeq;
    ev[n++] = count;
    ev[n++] = keyIds ? 1 : 0;
    if (keyIds) for (let i = 0; i < count; i++) ev[n++] = keyIds[i]!;
    ev[n++] = propIds ? 1 : 0;
    if (propIds) for (let i = 0; i < count; i++) ev[n++] = propIds[i]!;
    if (acks) {
      for (let i = 0; i < count; i++) {
        const a = acks[i]!;
        ev[n++] = a.partition;
        ev[n++] = a.offset === null ? -1 : a.offset;
      }
    }
    enc.n = n;
  }

  sendInvoke(batch: SentBatch): void {
    this.send(OP.SEND_INVOKE, batch, null);
  }

  sendOk(batch: SentBatch, acks: readonly SendAck[]): void {
    this.send(OP.SEND_OK, batch, acks);
  }

  /** `definite`: the broker certainly did not take the batch (`fail`); otherwise unknown (`info`). */
  sendFailed(batch: SentBatch, definite: boolean, error: string): void {
    const value = Array.from({ length: batch.count }, (_, i) => {
      const key = batch.keys?.[i];
      const props = batch.props?.[i];
      return {
        id: `${batch.source ?? batch.process}-${batch.firstSeq + i}`,
        topic: batch.topic,
        ...(key != null ? { key } : {}),
        ...(props != null ? { props: JSON.parse(props) as unknown } : {}),
      };
    });
    this.text(
      `{"type":"${definite ? "fail" : "info"}","f":"send","process":${batch.process},"time":${monoNs()},` +
        `"value":${JSON.stringify(value)},"error":${JSON.stringify(error)}}\n`,
    );
  }

  /**
   * A send whose messages carry a pipeline's fields (`num` on input events, `agg` on output
   * updates), written whole: the compact encoding keeps such lines as they are (tag 7).
   */
  sendLine(
    type: "invoke" | "ok" | "fail" | "info",
    process: number,
    messages: readonly object[],
    error?: string,
  ): void {
    this.text(
      `{"type":"${type}","f":"send","process":${process},"time":${monoNs()},"value":${JSON.stringify(messages)}` +
        `${error === undefined ? "" : `,"error":${JSON.stringify(error)}`}}\n`,
    );
  }

  pollInvoke(process: number, group: string): void {
    const enc = this.enc;
    const g = enc.str(group);
    const ev = enc.reserve(4);
    let n = enc.n;
    ev[n++] = OP.POLL_INVOKE;
    ev[n++] = process;
    ev[n++] = monoNs();
    ev[n++] = g;
    enc.n = n;
  }

  pollOk(process: number, group: string, deliveries: readonly Delivery[], ids: DeliveredIds): void {
    const enc = this.enc;
    const g = enc.str(group);
    const count = deliveries.length;
    // Intern every topic first (usually one), so reserving cannot separate a definition from its use.
    let lastTopic = deliveries[0]?.topic ?? "";
    let topicId = enc.str(lastTopic);
    for (let i = 1; i < count; i++) if (deliveries[i]!.topic !== lastTopic) enc.str(deliveries[i]!.topic);
    const ev = enc.reserve(5 + 6 * count);
    let n = enc.n;
    ev[n++] = OP.POLL_OK;
    ev[n++] = process;
    ev[n++] = monoNs();
    ev[n++] = g;
    ev[n++] = count;
    const { procs, seqs } = ids;
    for (let i = 0; i < count; i++) {
      const d = deliveries[i]!;
      if (d.topic !== lastTopic) {
        lastTopic = d.topic;
        topicId = enc.str(lastTopic);
      }
      ev[n++] = procs[i]!;
      ev[n++] = seqs[i]!;
      ev[n++] = topicId;
      ev[n++] = d.partition;
      ev[n++] = d.offset === null ? -1 : d.offset;
      ev[n++] = d.redelivered ? 1 : 0;
    }
    enc.n = n;
  }

  /** An operation whose outcome is unknown (an error from the client): `info`, and the process is spent. */
  info(process: number, f: "poll" | "commit", group: string, error: string): void {
    this.text(
      `{"type":"info","f":"${f}","process":${process},"group":${JSON.stringify(group)},"time":${monoNs()},` +
        `"error":${JSON.stringify(error)}}\n`,
    );
  }

  /** Log model: the committed offsets. Queue model: the ids of the acknowledged deliveries. */
  commit(process: number, group: string, value: CommitValue, ids: DeliveredIds, count: number): void {
    const enc = this.enc;
    const g = enc.str(group);
    if (value.kind === "offsets") {
      const offsets = value.offsets;
      const topics = offsets.map((o) => enc.str(o.topic));
      const ev = enc.reserve(5 + 3 * offsets.length);
      let n = enc.n;
      ev[n++] = OP.COMMIT_OFFSETS;
      ev[n++] = process;
      ev[n++] = monoNs();
      ev[n++] = g;
      ev[n++] = offsets.length;
      for (let i = 0; i < offsets.length; i++) {
        const o = offsets[i]!;
        ev[n++] = topics[i]!;
        ev[n++] = o.partition;
        ev[n++] = o.offset;
      }
      enc.n = n;
    } else {
      const k = Math.min(value.count, count);
      const ev = enc.reserve(5 + 2 * k);
      let n = enc.n;
      ev[n++] = OP.COMMIT_IDS;
      ev[n++] = process;
      ev[n++] = monoNs();
      ev[n++] = g;
      ev[n++] = k;
      for (let i = 0; i < k; i++) {
        ev[n++] = ids.procs[i]!;
        ev[n++] = ids.seqs[i]!;
      }
      enc.n = n;
    }
  }

  assign(process: number, group: string, assignment: Assignment): void {
    const value = { partitions: assignment.partitions, from: assignment.from };
    this.text(
      `{"type":"ok","f":"assign","process":${process},"group":${JSON.stringify(group)},"time":${monoNs()},` +
        `"value":${JSON.stringify(value)}}\n`,
    );
  }

  crash(process: number): void {
    this.text(`{"type":"info","f":"crash","process":${process},"time":${monoNs()}}\n`);
  }

  /**
   * A fault injected by the harness starts, ends, is served again after it (`recovered`, with
   * `recoveryS`) or is skipped (with its `reason`): `{"type":"info","f":"fault",...}`, a marker of
   * docs/HISTORY.md that the checkers skip; it carries no operation.
   */
  fault(
    kind: string,
    target: string,
    phase: "start" | "end" | "recovered" | "skipped",
    detail: { readonly healS?: number; readonly recoveryS?: number | null; readonly reason?: string } = {},
  ): void {
    this.text(
      `{"type":"info","f":"fault","time":${monoNs()},"value":${JSON.stringify({ kind, target, phase, ...detail })}}\n`,
    );
  }

  /** The group starts reading until caught up; `complete` once it has. */
  drain(group: string, complete: boolean): void {
    this.text(
      `{"type":"ok","f":"drain","group":${JSON.stringify(group)},"time":${monoNs()}` +
        `${complete ? ',"value":{"complete":true}' : ""}}\n`,
    );
  }

  /** Writes everything recorded; the file is complete once this resolves. */
  async close(): Promise<void> {
    this.enc.flush();
    await this.transport.close();
  }
}
