/**
 * An append-only file written in large chunks without holding the run in memory: each chunk is
 * written at its position asynchronously (the write runs on libuv's thread pool, off the main
 * thread). When the disk falls behind, at most `maxPending` chunks wait; beyond that a chunk is
 * written synchronously, which is backpressure rather than unbounded memory.
 */
import { closeSync, openSync, write, writeSync } from "node:fs";

export class FileSink {
  private readonly fd: number;
  private readonly maxPending: number;
  private position = 0;
  private pending = 0;
  private error: Error | null = null;
  private idle: (() => void) | null = null;

  constructor(path: string, options: { maxPending?: number } = {}) {
    this.fd = openSync(path, "w");
    this.maxPending = options.maxPending ?? 8;
  }

  get bytesWritten(): number {
    return this.position;
  }

  /** Queues `chunk` for writing; `release` is called once the chunk's memory may be reused. */
  write(chunk: Buffer, release: () => void = () => {}): void {
    if (this.error) throw this.error;
    if (chunk.length === 0) {
      release();
      return;
    }
    const at = this.position;
    this.position += chunk.length;
    if (this.pending >= this.maxPending) {
      writeAll(this.fd, chunk, at);
      release();
      return;
    }
    this.pending++;
    write(this.fd, chunk, 0, chunk.length, at, (err, n) => {
      if (err) {
        this.error ??= err;
      } else if (n < chunk.length) {
        // Short write (rare on regular files): finish the rest synchronously.
        try {
          writeAll(this.fd, chunk.subarray(n), at + n);
        } catch (e) {
          this.error ??= e as Error;
        }
      }
      release();
      this.pending--;
      if (this.pending === 0 && this.idle) this.idle();
    });
  }

  /** Waits for every pending write; the file is complete afterwards. */
  async flush(): Promise<void> {
    if (this.pending > 0) {
      await new Promise<void>((resolve) => {
        this.idle = resolve;
      });
      this.idle = null;
    }
    if (this.error) throw this.error;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      closeSync(this.fd);
    }
  }
}

function writeAll(fd: number, buf: Buffer, at: number): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, at + off);
}
