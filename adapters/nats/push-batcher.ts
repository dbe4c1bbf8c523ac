/**
 * Turns a broker client's per-message callbacks into the contract's push batches: everything that
 * arrived in one socket read becomes one batch, handed to `onBatch` in arrival order and never
 * concurrently (the next batch waits for the previous `onBatch` to settle). Messages that arrive
 * before `start` wait for it.
 */
export class PushBatcher<T> {
  private pending: T[] = [];
  private draining = false;
  private stopped = false;
  private failure: unknown = null;
  private onBatch: ((batch: readonly T[]) => void | Promise<void>) | null = null;
  private idle: Promise<void> = Promise.resolve();
  private resolveIdle: (() => void) | null = null;

  constructor(private readonly maxBatch = 1000) {}

  start(onBatch: (batch: readonly T[]) => void | Promise<void>): void {
    this.onBatch = onBatch;
    this.schedule();
  }

  push(item: T): void {
    if (this.stopped) return;
    this.pending.push(item);
    this.schedule();
  }

  private schedule(): void {
    if (this.draining || this.onBatch === null || this.pending.length === 0) return;
    this.draining = true;
    this.idle = new Promise((resolve) => {
      this.resolveIdle = resolve;
    });
    // A microtask runs after the client finished the current socket read: one read, one batch.
    queueMicrotask(() => void this.drain());
  }

  private async drain(): Promise<void> {
    const onBatch = this.onBatch;
    while (onBatch !== null && this.pending.length > 0 && !this.stopped) {
      const all = this.pending;
      const batch = all.length <= this.maxBatch ? all : all.slice(0, this.maxBatch);
      this.pending = batch === all ? [] : all.slice(this.maxBatch);
      try {
        await onBatch(batch);
      } catch (err) {
        // The consumer's own handler failed: remember it for close(), stop delivering.
        this.failure ??= err;
        this.stop();
      }
    }
    this.draining = false;
    this.resolveIdle?.();
    this.resolveIdle = null;
  }

  /** Stops delivering; what has not been handed over is dropped (the caller decides what that means). */
  stop(): void {
    this.stopped = true;
    this.pending = [];
  }

  /** Resolves once the batch being handled, if any, has settled. */
  settled(): Promise<void> {
    return this.idle;
  }

  /** What `onBatch` threw, if it threw. */
  get error(): unknown {
    return this.failure;
  }
}
