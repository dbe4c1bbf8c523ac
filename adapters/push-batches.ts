/**
 * The batching half of a push consumer whose client library calls back once per message (nats.js,
 * mqtt.js, amqplib, rhea, ioredis, an HTTP push endpoint): what arrived is handed to the runner's
 * `onBatch` in arrival order, at most `maxBatch` at a time, one call at a time (the next waits for
 * the previous one's promise, which is how a slow consumer holds deliveries back). Deliveries
 * pushed before `start` wait for it; after `stop` nothing more is handed over. A handler that
 * throws stops delivery; its error is kept for the adapter's `close()` to report.
 */
export interface PushBatchesOptions {
  /**
   * How long the first delivery waits for others to share its batch, so that the callbacks of one
   * socket read go out as one batch instead of a batch of one and the rest:
   * - `read`: a microtask, for clients that deliver one read's messages synchronously (nats.js,
   *   mqtt.js);
   * - `turn`: one turn of the event loop, for clients whose callbacks of one read span ticks
   *   (amqplib, rhea, an HTTP server's requests);
   * - `none`: at once (the caller pauses its socket on the count instead: Redis Pub/Sub).
   */
  readonly coalesce: "read" | "turn" | "none";
  /** Called after each batch with how many wait (e.g. to resume a paused socket). */
  readonly afterBatch?: (pending: number) => void;
}

/** The largest batch of adapters whose client sets no bound of its own (NATS, JetStream, MQTT). */
export const MAX_PUSH_BATCH = 1000;

export class PushBatches<T> {
  private pending: T[] = [];
  private onBatch: ((batch: readonly T[]) => void | Promise<void>) | null = null;
  private dispatching = false;
  private stopped = false;
  private failure: unknown = null;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly maxBatch: number,
    private readonly options: PushBatchesOptions,
  ) {}

  /** How many deliveries wait to be handed over. */
  get size(): number {
    return this.pending.length;
  }

  /** What `onBatch` threw, if it threw (delivery stopped there). */
  get error(): unknown {
    return this.failure;
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
    this.pending = [];
  }

  /** Resolves once the batch being handed over, if any, has settled. */
  settled(): Promise<void> {
    return this.idle;
  }

  private dispatch(): void {
    if (this.dispatching || this.onBatch === null || this.stopped || this.pending.length === 0) return;
    this.dispatching = true;
    const onBatch = this.onBatch;
    let done = () => {};
    this.idle = new Promise<void>((resolve) => {
      done = resolve;
    });
    const drain = async () => {
      while (this.pending.length > 0 && !this.stopped) {
        const all = this.pending;
        const batch = all.length <= this.maxBatch ? all : all.slice(0, this.maxBatch);
        this.pending = batch === all ? [] : all.slice(this.maxBatch);
        try {
          await onBatch(batch);
        } catch (err) {
          this.failure ??= err;
          this.stop();
          break;
        }
        this.options.afterBatch?.(this.pending.length);
      }
      this.dispatching = false;
      done();
    };
    const coalesce = this.options.coalesce;
    if (coalesce === "read") queueMicrotask(() => void drain());
    else if (coalesce === "turn") setImmediate(() => void drain());
    else void drain();
  }
}
