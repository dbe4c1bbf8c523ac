/**
 * The batching half of a push consumer whose client library calls back once per message (amqplib,
 * rhea, ioredis, an HTTP push endpoint): what arrived is handed to the runner's `onBatch` in
 * arrival order, at most `maxBatch` at a time, one call at a time (the next waits for the previous
 * one's promise, which is how a slow consumer holds deliveries back). Deliveries pushed before
 * `start` wait for it; after `stop` nothing more is handed over.
 */
export interface PushBatchesOptions {
  /**
   * Wait one turn of the event loop before the first batch, so that the callbacks of one socket
   * read (which arrive in one tick) go out as one batch instead of a batch of one and the rest.
   */
  readonly coalesce: boolean;
  /** Called after each batch with how many wait (e.g. to resume a paused socket). */
  readonly afterBatch?: (pending: number) => void;
}

export class PushBatches<T> {
  private readonly pending: T[] = [];
  private onBatch: ((batch: readonly T[]) => void | Promise<void>) | null = null;
  private dispatching = false;
  private stopped = false;

  constructor(
    private readonly maxBatch: number,
    private readonly options: PushBatchesOptions,
  ) {}

  /** How many deliveries wait to be handed over. */
  get size(): number {
    return this.pending.length;
  }

  start(onBatch: (batch: readonly T[]) => void | Promise<void>): void {
    this.onBatch = onBatch;
    this.dispatch();
  }

  push(item: T): void {
    if (this.stopped) return;
    this.pending.push(item);
    this.dispatch();
  }

  /** Drops what waits; nothing more is handed over (the consumer is closing or dead). */
  stop(): void {
    this.stopped = true;
    this.pending.length = 0;
  }

  private dispatch(): void {
    if (this.dispatching || this.onBatch === null || this.stopped) return;
    this.dispatching = true;
    const onBatch = this.onBatch;
    const drain = async () => {
      try {
        while (this.pending.length > 0 && !this.stopped) {
          await onBatch(this.pending.splice(0, this.maxBatch));
          this.options.afterBatch?.(this.pending.length);
        }
      } finally {
        this.dispatching = false;
      }
      if (this.pending.length > 0 && !this.stopped) this.dispatch();
    };
    if (this.options.coalesce) setImmediate(() => void drain());
    else void drain();
  }
}
