/**
 * Push delivery: the broker calls the subscriber as messages arrive. Two flow variants:
 *
 * - credit: the subscriber grants N messages; the broker reads from the log only while credit
 *   remains, so a slow subscriber slows delivery and nothing is ever dropped (flow-controlled push).
 * - buffer: the broker moves every new message into a bounded per-subscriber buffer as soon as it
 *   is appended; the subscriber drains the buffer at its own pace. When the buffer is full the
 *   broker drops the new messages (counting them) or disconnects the subscriber, as configured —
 *   what push systems do with slow consumers.
 *
 * `deliver` is never called again before the previous call (and its promise, if any) finished:
 * deliveries to one subscriber are sequential and in partition order.
 */
import type { PushSubscription } from "./api.js";
import { BROKER_ERRORS, type BrokerErrorInfo } from "./errors.js";
import type {
  AppendListener,
  Isolation,
  PartitionFetch,
  PartitionRecords,
  PartitionState,
} from "./partition.js";

export type PushFlow =
  | { readonly kind: "credit"; readonly credit: number }
  | { readonly kind: "buffer"; readonly capacity: number; readonly overflow: "drop" | "disconnect" };

export interface PushSink {
  /** One chunk of records from one partition; a returned promise holds the next delivery back. */
  deliver(records: PartitionRecords, count: number): void | Promise<void>;
  /** The subscription ended: `error` null when closed by the subscriber, else why the broker ended it. */
  closed?(error: BrokerErrorInfo | null): void;
}

export interface SubscriptionStats {
  readonly deliveredMessages: number;
  readonly droppedMessages: number;
  readonly bufferedMessages: number;
  readonly credit: number;
  /** Positions moved to the log start because retention deleted what the subscriber had not read. */
  readonly offsetResets: number;
}

export interface PushPosition {
  readonly partition: PartitionState;
  readonly offset: number;
}

/** A position as subscribers name it; the broker resolves the partition. */
export interface NamedPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** Largest chunk handed to one `deliver` call. */
const MAX_CHUNK_RECORDS = 1000;
const MAX_CHUNK_BYTES = 1 << 20;

export class Subscription implements AppendListener, PushSubscription {
  private readonly sink: PushSink;
  private readonly resolve: (pos: NamedPosition) => PushPosition;
  private readonly flow: PushFlow;
  private readonly isolation: Isolation;
  private readonly onEnd: (s: Subscription) => void;
  private readonly track: ((r: PartitionFetch) => PartitionFetch) | null;
  private positions = new Map<PartitionState, number>();
  private order: PartitionState[] = [];
  private cursor = 0;
  private credit: number;
  private readonly buffer: PartitionFetch[] = [];
  private buffered = 0;
  private busy = false;
  private scheduled = false;
  private pumping = false;
  private ended = false;
  private delivered = 0;
  private dropped = 0;
  private resets = 0;

  constructor(
    positions: readonly PushPosition[],
    flow: PushFlow,
    isolation: Isolation,
    sink: PushSink,
    onEnd: (s: Subscription) => void,
    track: ((r: PartitionFetch) => PartitionFetch) | null,
    resolve: (pos: NamedPosition) => PushPosition,
  ) {
    this.track = track;
    this.resolve = resolve;
    this.flow = flow;
    this.isolation = isolation;
    this.sink = sink;
    this.onEnd = onEnd;
    this.credit = flow.kind === "credit" ? flow.credit : 0;
    this.assign(positions);
  }

  get closed(): boolean {
    return this.ended;
  }

  stats(): SubscriptionStats {
    return {
      deliveredMessages: this.delivered,
      droppedMessages: this.dropped,
      bufferedMessages: this.buffered,
      credit: this.credit,
      offsetResets: this.resets,
    };
  }

  /** Replaces the set of partitions and where to continue in each (rebalance, seek). */
  assign(positions: readonly PushPosition[]): void {
    if (this.ended) return;
    for (const p of this.order) p.listeners.delete(this);
    const next = new Map<PartitionState, number>();
    for (const pos of positions) next.set(pos.partition, pos.offset);
    // The new positions are authoritative: what was buffered but not delivered is read again.
    this.buffer.length = 0;
    this.buffered = 0;
    this.positions = next;
    this.order = [...next.keys()];
    this.cursor = 0;
    for (const p of this.order) p.listeners.add(this);
    this.schedule();
  }

  /** `assign` by names (PushSubscription); throws UNKNOWN_TOPIC_OR_PARTITION and changes nothing if one is unknown. */
  reassign(positions: readonly NamedPosition[]): void {
    this.assign(positions.map(this.resolve));
  }

  /** Credit mode: allows `n` more messages. */
  grant(n: number): void {
    if (this.ended || this.flow.kind !== "credit") return;
    this.credit += n;
    this.schedule();
  }

  /** Closes the subscription from the subscriber's side. */
  close(): void {
    this.end(null);
  }

  end(error: BrokerErrorInfo | null): void {
    if (this.ended) return;
    this.ended = true;
    for (const p of this.order) p.listeners.delete(this);
    this.buffer.length = 0;
    this.buffered = 0;
    this.onEnd(this);
    this.sink.closed?.(error);
  }

  onAppend(_p: PartitionState): void {
    if (this.flow.kind === "buffer") this.ingest();
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.ended) return;
    this.scheduled = true;
    // Never run subscriber code inside the producer's call stack.
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.flow.kind === "buffer") this.ingest();
      this.pump();
    });
  }

  /** Reads one partition's records at its position; moves a position deleted by retention to the log start. */
  private readAt(p: PartitionState, max: number): PartitionFetch {
    let offset = this.positions.get(p)!;
    let r = p.read(offset, max, MAX_CHUNK_BYTES, this.isolation);
    // Below the start (retention) or past the end (log recreated): continue at the log start.
    if (r.error?.code === BROKER_ERRORS.OFFSET_OUT_OF_RANGE.code && r.logStartOffset >= 0) {
      this.resets++;
      offset = r.logStartOffset;
      this.positions.set(p, offset);
      r = p.read(offset, max, MAX_CHUNK_BYTES, this.isolation);
    }
    return r;
  }

  /** Buffer mode: moves everything new into the buffer, dropping or disconnecting on overflow. */
  private ingest(): void {
    if (this.flow.kind !== "buffer" || this.ended) return;
    const { capacity, overflow } = this.flow;
    for (const p of this.order) {
      for (;;) {
        const room = capacity - this.buffered;
        if (room > 0) {
          const r = this.readAt(p, Math.min(room, MAX_CHUNK_RECORDS));
          if (r.error !== null) break;
          this.positions.set(p, r.nextOffset);
          if (r.count > 0) {
            this.buffer.push(r);
            this.buffered += r.count;
            continue;
          }
          if (r.nextOffset === r.fromOffset) break;
          continue;
        }
        // Full: anything further is an overflow.
        const r = this.readAt(p, MAX_CHUNK_RECORDS);
        if (r.error !== null || (r.count === 0 && r.nextOffset === r.fromOffset)) break;
        if (r.count > 0 && overflow === "disconnect") {
          this.end(BROKER_ERRORS.SUBSCRIBER_OVERFLOW);
          return;
        }
        this.dropped += r.count;
        this.positions.set(p, r.nextOffset);
      }
    }
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.busy && !this.ended) {
        const next = this.flow.kind === "credit" ? this.nextCredited() : this.buffer.shift();
        if (next === undefined) return;
        const chunk = this.track === null ? next : this.track(next);
        this.delivered += chunk.count;
        let result: void | Promise<void>;
        try {
          result = this.sink.deliver(chunk, chunk.count);
        } catch {
          this.end(BROKER_ERRORS.UNKNOWN_SERVER_ERROR);
          return;
        }
        if (result !== undefined && typeof (result as Promise<void>).then === "function") {
          this.busy = true;
          (result as Promise<void>).then(
            () => {
              this.busy = false;
              this.consumed(chunk);
              this.pump();
            },
            () => this.end(BROKER_ERRORS.UNKNOWN_SERVER_ERROR),
          );
          return;
        }
        this.consumed(chunk);
      }
    } finally {
      this.pumping = false;
    }
  }

  private consumed(chunk: PartitionFetch): void {
    if (this.flow.kind === "buffer") {
      this.buffered -= chunk.count;
      this.ingest();
    }
  }

  /** Credit mode: the next chunk from the partitions in turn, at most `credit` records. */
  private nextCredited(): PartitionFetch | undefined {
    const n = this.order.length;
    for (let tried = 0; tried < n && this.credit > 0; tried++) {
      const p = this.order[this.cursor % n]!;
      this.cursor++;
      const r = this.readAt(p, Math.min(this.credit, MAX_CHUNK_RECORDS));
      if (r.error !== null) continue;
      this.positions.set(p, r.nextOffset);
      if (r.count > 0) {
        this.credit -= r.count;
        return r;
      }
      if (r.nextOffset !== r.fromOffset) tried--; // skipped control/aborted batches: look again
    }
    return undefined;
  }
}
