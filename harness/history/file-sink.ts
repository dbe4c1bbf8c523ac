/**
 * An append-only text file written in large chunks without holding the run in memory: text is
 * gathered into a string until `chunkChars`, then written at its position asynchronously (the
 * write itself runs on libuv's thread pool, off the main thread). When the disk falls behind, at
 * most `maxPending` chunks wait; beyond that the writer blocks (written synchronously), which is
 * backpressure rather than unbounded memory.
 */
import { closeSync, openSync, write, writeSync } from "node:fs";

export class FileSink {
  private readonly fd: number;
  private readonly chunkChars: number;
  private readonly maxPending: number;
  private text = "";
  private position = 0;
  private pending = 0;
  private error: Error | null = null;
  private idle: (() => void) | null = null;
  bytesWritten = 0;

  constructor(path: string, options: { chunkChars?: number; maxPending?: number } = {}) {
    this.fd = openSync(path, "w");
    this.chunkChars = options.chunkChars ?? 1 << 20;
    this.maxPending = options.maxPending ?? 8;
  }

  append(text: string): void {
    this.text += text;
    if (this.text.length >= this.chunkChars) this.flushChunk();
  }

  private flushChunk(): void {
    if (this.text.length === 0) return;
    if (this.error) throw this.error;
    const buf = Buffer.from(this.text, "utf8");
    this.text = "";
    const at = this.position;
    this.position += buf.length;
    this.bytesWritten += buf.length;
    if (this.pending >= this.maxPending) {
      writeAll(this.fd, buf, at);
      return;
    }
    this.pending++;
    const done = (err: Error | null, n: number) => {
      if (err) {
        this.error ??= err;
      } else if (n < buf.length) {
        // Short write (rare on regular files): finish the rest synchronously.
        try {
          writeAll(this.fd, buf.subarray(n), at + n);
        } catch (e) {
          this.error ??= e as Error;
        }
      }
      this.pending--;
      if (this.pending === 0 && this.idle) this.idle();
    };
    write(this.fd, buf, 0, buf.length, at, done);
  }

  /** Writes what is gathered and waits for every pending write; the file is complete afterwards. */
  async flush(): Promise<void> {
    this.flushChunk();
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
