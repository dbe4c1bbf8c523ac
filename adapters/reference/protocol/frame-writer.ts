/**
 * How both ends of a reference connection put frames on the socket: small frames of one event-loop
 * turn share one syscall (corked until the turn's end), a large frame leaves at once, taking the
 * small ones queued before it along.
 *
 * Why both rules. A loopback write is the costliest call per frame on this path, so credits,
 * commits, acknowledgements and batches of a few messages wait to leave together. But corking
 * large frames too serialised the two processes: the producer's lanes were all acknowledged in one
 * read, all re-sent in one write at the end of the turn, and the broker only started on the first
 * batch once the client had encoded the last (both processes half idle at max rate). A frame of
 * `AT_ONCE_BYTES` or more carries its own syscall's cost, and the other side starts on it while
 * this side builds the next: measured through the harness over TCP (throughput.yaml at max, three
 * alternating rounds), 472–572 k msg/s corked vs 710–818 k msg/s with large frames at once.
 */
import type { Socket } from "node:net";

/** Frames at least this large are written at once (a produce or push of 100 × 100 B is ~11 KB). */
export const AT_ONCE_BYTES = 8 * 1024;

export class FrameWriter {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  write(frame: Buffer): void {
    if (frame.length >= AT_ONCE_BYTES) {
      // Order is kept: uncorking flushes the frames queued before this one first.
      this.uncork();
    } else if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      // Every small frame written in this turn (all the I/O callbacks it runs, not just the
      // current one) leaves in the same syscall.
      setImmediate(() => this.uncork());
    }
    this.socket.write(frame);
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }
}
