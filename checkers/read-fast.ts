/**
 * The fast file reader: large chunks cut at line boundaries, scanned to columns by the byte
 * scanner on worker threads (cores − 1 of them, chunks dealt round-robin), replayed into the
 * builder in file order on this thread while the workers scan the next chunks: on 2 cores, a
 * two-stage pipeline (measured: 2 workers + replay on 2 cores is slower than 1 worker).
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Float64Column } from "./columns.js";
import type { HistoryBuilder } from "./history-index.js";
import { LocalNames, Replayer } from "./replay.js";
import { Scanner, type ScanResult } from "./scan.js";

const CHUNK_BYTES = 16 << 20;
/** Every LINE_STRIDE-th line start is kept, for reading witness lines back. */
export const LINE_STRIDE = 64;

export interface FastRead {
  /** Byte offset of lines 1, 1 + LINE_STRIDE, 1 + 2·LINE_STRIDE, ... */
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

interface Job {
  result: Promise<ScanResult>;
  bytes: number;
  fileOffset: number;
  names: LocalNames;
  final: boolean;
}

export async function buildFromFileFast(
  b: HistoryBuilder,
  path: string,
  options: FastReadOptions = {},
): Promise<FastRead> {
  const fd = openSync(path, "r");
  const fileSize = fstatSync(fd).size;
  // Replay runs on this thread, so one core is taken: scanner workers get the others (at least one).
  let threads = options.threads ?? Math.max(1, Math.min(3, availableParallelism() - 1));
  if (fileSize < CHUNK_BYTES || !workersAvailable()) threads = 0;
  type Waiting = { resolve: (r: ScanResult) => void; reject: (err: Error) => void };
  const workers: { worker: Worker; waiting: Waiting[]; names: LocalNames }[] = [];
  for (let w = 0; w < threads; w++) {
    const worker = new Worker(WORKER_URL);
    const entry = { worker, waiting: [] as Waiting[], names: new LocalNames() };
    worker.on("message", (r: ScanResult) => entry.waiting.shift()?.resolve(r));
    worker.on("error", (err) => {
      for (const w of entry.waiting.splice(0)) w.reject(err);
    });
    workers.push(entry);
  }
  const local = { scanner: new Scanner(), names: new LocalNames() };
  const replayer = new Replayer(b, path);
  const sparse = new Float64Column(1 << 12);
  const jobs: Job[] = [];
  let pos = 0;
  let carry: Uint8Array = new Uint8Array(0);
  let dealt = 0;
  let lineBase = 0;

  /** Reads the next chunk (whole lines, except an unterminated last one) and deals it out. */
  const dispatch = (): boolean => {
    if (pos >= fileSize && carry.length === 0) return false;
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
    const isFinal = pos >= fileSize;
    let job: Job;
    // The replay needs about half the time of a scan: with one worker, this thread scans every
    // third chunk itself so that both threads stay busy.
    const turn = dealt++;
    const here = threads === 0 || (threads === 1 && turn % 3 === 2);
    if (here) {
      job = {
        result: Promise.resolve(local.scanner.scan(buf.subarray(0, length), unterminated)),
        fileOffset,
        bytes: length,
        names: local.names,
        final: isFinal,
      };
    } else {
      const w = workers[turn % threads]!;
      job = {
        result: new Promise<ScanResult>((resolve, reject) => w.waiting.push({ resolve, reject })),
        fileOffset,
        bytes: length,
        names: w.names,
        final: isFinal,
      };
      w.worker.postMessage({ buffer: buf.buffer, length, unterminated }, [buf.buffer as ArrayBuffer]);
    }
    jobs.push(job);
    return true;
  };

  try {
    let more = true;
    while (more || jobs.length > 0) {
      while (more && jobs.length < Math.max(1, threads * 2)) more = dispatch();
      const job = jobs.shift();
      if (job === undefined) break;
      const r = await job.result;
      for (let j = 0; j < r.lines; j++)
        if ((lineBase + j) % LINE_STRIDE === 0) sparse.push(job.fileOffset + r.lineStarts[j]!);
      replayer.replay(r, job.names, lineBase, job.final);
      lineBase += r.lines;
      if (lineBase === r.lines && !job.final && fileSize > 4 * CHUNK_BYTES)
        b.reserve((1.05 * fileSize) / job.bytes);
    }
  } finally {
    closeSync(fd);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
  b.lines = lineBase;
  return { sparseStarts: sparse, fileSize };
}
