/**
 * The fast file reader: large chunks cut at line boundaries (or a compact history's blocks),
 * scanned to columns by the byte scanner (or decoded, compact-scan.ts) on worker threads (cores − 1
 * of them, chunks dealt round-robin), replayed into the builder in file order on this thread while
 * the workers scan the next chunks: on 2 cores, a two-stage pipeline (measured: 2 workers + replay
 * on 2 cores is slower than 1 worker).
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type BlockHeader, CompactFormatError } from "../core/history/compact.js";
import { type BlockRef, blockName, CompactFileReader } from "../core/history/compact-file.js";
import { Float64Column } from "./columns.js";
import { scanBlock } from "./compact-scan.js";
import type { HistoryBuilder } from "./history-index.js";
import { LocalNames, Replayer } from "./replay.js";
import { Scanner, type ScanResult } from "./scan.js";

const CHUNK_BYTES = 16 << 20;
/** Compact files smaller than this are read on the calling thread unless threads are asked for. */
const COMPACT_WORKERS_FROM = 2 << 20;
/** Every LINE_STRIDE-th line start is kept, for reading witness lines back. */
export const LINE_STRIDE = 64;

export interface FastRead {
  /** Byte offset of lines 1, 1 + LINE_STRIDE, 1 + 2·LINE_STRIDE, ... (JSON lines). */
  readonly sparseStarts: Float64Column;
  readonly fileSize: number;
}

export interface FastReadOptions {
  /** Scanner worker threads (default: cores − 1, at least 1); 0 scans on this thread. */
  readonly threads?: number;
}

const WORKER_URL = new URL("./scan-worker.js", import.meta.url);

/** Worker threads need the compiled worker next to this module (not so under vitest's TS). */
export function workersAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

/** A piece of the file to scan: whole JSON lines, or one compact block's payload. */
export interface Piece {
  readonly buf: Uint8Array;
  readonly length: number;
  readonly fileOffset: number;
  readonly final: boolean;
  /** JSON lines: the piece ends inside a line (the end of a file whose recorder died mid-line). */
  readonly unterminated: boolean;
  /** A compact block: its place and header. */
  readonly block?: BlockRef;
}

/** Message to a scanner worker. */
export interface ScanRequest {
  readonly buffer: ArrayBuffer;
  readonly length: number;
  readonly unterminated: boolean;
  readonly block?: { readonly name: string; readonly header: BlockHeader };
}

interface Job {
  result: Promise<ScanResult>;
  piece: Piece;
  names: LocalNames;
}

/**
 * Scans the pieces `next` yields (on workers, and every third on this thread when there is one
 * worker) and replays them into the builder in file order.
 */
async function pipeline(
  b: HistoryBuilder,
  path: string,
  next: () => Piece | null,
  threads: number,
  onReplayed: (piece: Piece, r: ScanResult, lineBase: number) => void,
): Promise<number> {
  type Waiting = { resolve: (r: ScanResult) => void; reject: (err: Error) => void };
  const workers: { worker: Worker; waiting: Waiting[]; names: LocalNames }[] = [];
  for (let w = 0; w < threads; w++) {
    const worker = new Worker(WORKER_URL);
    const entry = { worker, waiting: [] as Waiting[], names: new LocalNames() };
    worker.on("message", (r: ScanResult | { error: string }) => {
      const waiting = entry.waiting.shift();
      if ("error" in r) waiting?.reject(new CompactFormatError(r.error));
      else waiting?.resolve(r);
    });
    worker.on("error", (err) => {
      for (const w of entry.waiting.splice(0)) w.reject(err);
    });
    workers.push(entry);
  }
  const local = { scanner: new Scanner(), names: new LocalNames() };
  const replayer = new Replayer(b, path);
  const jobs: Job[] = [];
  let dealt = 0;
  let lineBase = 0;

  const dispatch = (): boolean => {
    const piece = next();
    if (piece === null) return false;
    // The replay needs about half the time of a scan: with one worker, this thread scans every
    // third piece itself so that both threads stay busy.
    const turn = dealt++;
    const here = threads === 0 || (threads === 1 && turn % 3 === 2);
    if (here) {
      const block = piece.block;
      let result: Promise<ScanResult>;
      try {
        result = Promise.resolve(
          block === undefined
            ? local.scanner.scan(piece.buf.subarray(0, piece.length), piece.unterminated)
            : scanBlock(piece.buf.subarray(0, piece.length), blockName(path, block), block.header),
        );
      } catch (err) {
        result = Promise.reject(err);
      }
      result.catch(() => {}); // observed in order below
      // Compact blocks name their strings afresh (scanEvents): each gets its own local names.
      jobs.push({ result, piece, names: block === undefined ? local.names : new LocalNames() });
    } else {
      const w = workers[turn % threads]!;
      const result = new Promise<ScanResult>((resolve, reject) => w.waiting.push({ resolve, reject }));
      result.catch(() => {});
      jobs.push({ result, piece, names: piece.block === undefined ? w.names : new LocalNames() });
      const request: ScanRequest = {
        buffer: piece.buf.buffer as ArrayBuffer,
        length: piece.length,
        unterminated: piece.unterminated,
        ...(piece.block ? { block: { name: blockName(path, piece.block), header: piece.block.header } } : {}),
      };
      w.worker.postMessage(request, [piece.buf.buffer as ArrayBuffer]);
    }
    return true;
  };

  try {
    let more = true;
    while (more || jobs.length > 0) {
      while (more && jobs.length < Math.max(1, threads * 2)) more = dispatch();
      const job = jobs.shift();
      if (job === undefined) break;
      const r = await job.result;
      replayer.replay(r, job.names, lineBase, job.piece.final);
      onReplayed(job.piece, r, lineBase);
      lineBase += r.lines;
    }
  } finally {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
  return lineBase;
}

/** Reads a JSON lines history with the byte scanner. */
export async function buildFromFileFast(
  b: HistoryBuilder,
  path: string,
  options: FastReadOptions = {},
): Promise<FastRead> {
  const fd = openSync(path, "r");
  const fileSize = fstatSync(fd).size;
  // Replay runs on this thread, so one core is taken: scanner workers get the others (at least one).
  let threads = options.threads ?? defaultThreads();
  if (fileSize < CHUNK_BYTES || !workersAvailable()) threads = 0;
  const sparse = new Float64Column(1 << 12);
  let pos = 0;
  let carry: Uint8Array = new Uint8Array(0);

  /** The next chunk: whole lines, except an unterminated last one. */
  const next = (): Piece | null => {
    if (pos >= fileSize && carry.length === 0) return null;
    let size = Math.max(CHUNK_BYTES, carry.length * 2);
    // Not zero-filled (every byte used is read from the file), and never pooled: transferable.
    let buf: Uint8Array = Buffer.allocUnsafeSlow(size);
    buf.set(carry);
    let filled = carry.length;
    const fileOffset = pos - carry.length;
    let end = -1;
    for (;;) {
      const n = pos < fileSize ? readSync(fd, buf, filled, size - filled, pos) : 0;
      pos += n;
      filled += n;
      end = buf.lastIndexOf(10, filled - 1) + 1;
      if (end > 0 || pos >= fileSize) break;
      // One line longer than the buffer: grow it.
      size *= 2;
      const bigger = Buffer.allocUnsafeSlow(size);
      bigger.set(buf.subarray(0, filled));
      buf = bigger;
    }
    let length = end;
    if (pos >= fileSize) length = filled; // the last chunk takes the unterminated tail too
    carry = new Uint8Array(buf.subarray(length, filled)); // a copy: buf is about to be transferred
    const unterminated = length > 0 && buf[length - 1] !== 10;
    return { buf, length, fileOffset, final: pos >= fileSize, unterminated };
  };

  try {
    b.lines = await pipeline(b, path, next, threads, (piece, r, lineBase) => {
      for (let j = 0; j < r.lines; j++)
        if ((lineBase + j) % LINE_STRIDE === 0) sparse.push(piece.fileOffset + r.lineStarts[j]!);
      if (lineBase === 0 && !piece.final && fileSize > 4 * CHUNK_BYTES)
        b.reserve((1.05 * fileSize) / piece.length);
    });
  } finally {
    closeSync(fd);
  }
  return { sparseStarts: sparse, fileSize };
}

export interface CompactRead {
  readonly blocks: readonly BlockRef[];
  /** The file ended inside a block: what was skipped. */
  readonly truncated: string | null;
}

/** Reads a compact history (core/history/compact.ts) block by block, through the same pipeline. */
export async function buildFromCompactFile(
  b: HistoryBuilder,
  path: string,
  options: FastReadOptions = {},
): Promise<CompactRead> {
  const reader = new CompactFileReader(path);
  let threads = options.threads ?? defaultThreads();
  if (!workersAvailable() || (options.threads === undefined && reader.fileSize < COMPACT_WORKERS_FROM))
    threads = 0;
  const blocks: BlockRef[] = [];
  const totalItems = reader.totalItems();
  let pending = reader.next();
  const next = (): Piece | null => {
    const current = pending;
    if (current === null) return null;
    pending = reader.next();
    blocks.push(current.ref);
    return {
      buf: current.payload,
      length: current.payload.length,
      fileOffset: current.ref.offset,
      final: pending === null,
      unterminated: false,
      block: current.ref,
    };
  };
  let truncated: string | null = null;
  try {
    b.lines = await pipeline(b, path, next, threads, (piece, _r, lineBase) => {
      const items = piece.block?.header.items ?? 0;
      if (lineBase === 0 && !piece.final && items > 0 && totalItems > 4 * items)
        b.reserve((1.02 * totalItems) / items);
    });
  } catch (err) {
    // A damaged last block is a torn write, as an unterminated last JSON line is.
    const last = blocks[blocks.length - 1];
    if (!(err instanceof CompactFormatError) || last === undefined || !reader.isLast(last)) throw err;
    truncated = `${err.message}: a torn last write`;
    blocks.pop();
    b.lines = last.firstLine - 1;
  } finally {
    reader.close();
  }
  truncated ??= reader.truncated;
  if (truncated !== null) b.warn(`${path}: ${truncated}; skipped (the recorder likely died mid-write)`);
  return { blocks, truncated };
}

function defaultThreads(): number {
  return Math.max(1, Math.min(3, availableParallelism() - 1));
}
