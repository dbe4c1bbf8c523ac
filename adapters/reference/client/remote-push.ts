/**
 * Push deliveries over TCP, as the client side of the broker interface hands them to a sink: a
 * subscription's PUSH frames (record sets) read in place as stored batches, one chunk at a time,
 * credit coalesced, chunks read before a Reassign's answer dropped (as in process), and a
 * connection of its own paused while the sink holds a chunk back (flow `buffer`).
 */
import type { PushSubscription } from "../broker/api.js";
import type { FetchPosition } from "../broker/broker.js";
import type { BrokerErrorInfo } from "../broker/errors.js";
import type { PartitionRecords } from "../broker/partition.js";
import type { PushSink } from "../broker/subscription.js";
import { APIS } from "../protocol/apis.js";
import type { Reader } from "../protocol/codec.js";
import { type RecordSet, recordSetRecords, toRecordSets } from "../protocol/common.js";
import { wireError } from "../protocol/errors.js";
import { readPush } from "../protocol/push.js";
import type { StoredBatch, StoredRecord } from "../storage/partition-log.js";
import { visitSection } from "../storage/record-section.js";
import type { ReferenceClient } from "./client.js";

const PLAIN_HEADER = {
  producerId: -1,
  producerEpoch: -1,
  baseSequence: -1,
  transactional: false,
  control: null,
  timestampMs: 0,
} as const;

/**
 * A record set as the wire delivered it (the log's own encoding), read like one of the broker's
 * stored batches: records are made only when handed out.
 */
class SetBatch implements StoredBatch {
  readonly baseOffset: number;
  readonly recordCount: number;
  readonly header = PLAIN_HEADER;
  private readonly bytes: Buffer;

  constructor(set: RecordSet) {
    this.baseOffset = set.baseOffset;
    this.recordCount = set.count;
    this.bytes = set.bytes;
  }

  get records(): readonly StoredRecord[] {
    return recordSetRecords([{ baseOffset: this.baseOffset, count: this.recordCount, bytes: this.bytes }]);
  }

  visit(
    from: number,
    to: number,
    fn: (offset: number, key: string | null, payload: Uint8Array) => void,
  ): void {
    const first = Math.max(0, from - this.baseOffset);
    const last = Math.min(this.recordCount, to - this.baseOffset);
    if (first < last) visitSection(this.bytes, 0, this.baseOffset, first, last, fn);
  }
}

export function partitionRecords(
  topic: string,
  partition: number,
  from: number,
  nextOffset: number,
  redeliveredBelow: number,
  sets: readonly RecordSet[],
): PartitionRecords {
  const batches = sets.length === 1 ? [new SetBatch(sets[0]!)] : sets.map((x) => new SetBatch(x));
  // Per push: two literals rather than a spread of the optional field (protocol/api.ts NO_ERROR says why).
  return redeliveredBelow > 0
    ? { topic, partition, batches, fromOffset: from, nextOffset, redeliveredBelow }
    : { topic, partition, batches, fromOffset: from, nextOffset };
}

export function countOf(sets: readonly RecordSet[]): number {
  let n = 0;
  for (const x of sets) n += x.count;
  return n;
}

/**
 * One subscription's pushes, handed to its sink one at a time: while the sink holds a chunk back,
 * later ones wait here (and, on a connection of its own, the socket stops being read).
 */
export class PushQueue<T> {
  private readonly pending: T[] = [];
  private busy = false;
  private stopped = false;
  constructor(
    private readonly deliver: (item: T) => void | Promise<void>,
    private readonly pause: ((paused: boolean) => void) | null,
  ) {}

  push(item: T): void {
    if (this.stopped) return;
    if (this.busy) {
      this.pending.push(item);
      return;
    }
    this.run(item);
  }

  stop(): void {
    this.stopped = true;
    this.pending.length = 0;
  }

  private run(first: T): void {
    let item: T | undefined = first;
    while (item !== undefined && !this.stopped) {
      let r: void | Promise<void>;
      try {
        r = this.deliver(item);
      } catch {
        r = undefined;
      }
      if (r !== undefined && typeof (r as Promise<void>).then === "function") {
        this.busy = true;
        this.pause?.(true);
        const next = () => {
          this.busy = false;
          this.pause?.(false);
          const queued = this.pending.shift();
          if (queued !== undefined) this.run(queued);
        };
        (r as Promise<void>).then(next, next);
        return;
      }
      item = this.pending.shift();
    }
  }
}

/** Why a subscription on a connection of its own ended when that connection went away. */
function connectionLost(err: Error): BrokerErrorInfo {
  return { code: -1, name: "CONNECTION_LOST", retriable: true, message: err.message };
}

export class RemotePushSubscription implements PushSubscription {
  private credit = 0;
  private crediting = false;
  private closed = false;
  /** Reassign requests not answered yet: pushes before their answer were read from the old positions. */
  private reassigning = 0;
  private readonly queue: PushQueue<PartitionRecords>;
  private readonly stopRouting: () => void;
  readonly id: number;

  constructor(
    private readonly conn: ReferenceClient,
    private readonly sink: PushSink,
    /** Credit flow (else a bounded buffer). */
    private readonly credited: boolean,
    /** A connection of this subscription's own (flow buffer), closed with it. */
    private readonly own: boolean,
  ) {
    this.queue = new PushQueue(
      (r) => {
        let n = 0;
        for (const b of r.batches) n += b.recordCount ?? 0;
        return this.sink.deliver(r, n);
      },
      own ? (paused) => (paused ? conn.pauseReading() : conn.resumeReading()) : null,
    );
    const route = conn.subscribePushes((body) => this.onPush(body));
    this.id = route.id;
    this.stopRouting = route.stop;
    if (own) conn.onClose((err) => this.end(connectionLost(err)));
  }

  private onPush(body: Reader): void {
    const b = readPush(body);
    if (b.kind === "sets" || b.kind === "records") {
      // A v0 server pushes records, not sets (nor where the chunk was read from).
      const sets = b.kind === "sets" ? b.sets : toRecordSets(b.records);
      if (this.reassigning > 0) {
        // Read before the broker moved the subscription: as in process, it never reaches the sink.
        if (this.credited) this.grant(countOf(sets));
        return;
      }
      const from = b.kind === "sets" ? b.fromOffset : (sets[0]?.baseOffset ?? b.nextOffset);
      this.queue.push(partitionRecords(b.topic, b.partition, from, b.nextOffset, b.redeliveredBelow, sets));
    } else if (b.kind === "ended") {
      this.end(b.errorCode === 0 ? null : wireError(b.errorCode));
    }
  }

  private end(error: BrokerErrorInfo | null): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.stop();
    this.stopRouting();
    if (this.own) this.conn.destroy();
    this.sink.closed?.(error);
  }

  grant(n: number): void {
    if (this.closed || n <= 0) return;
    this.credit += n;
    if (this.crediting) return;
    // Grants made together (before the next microtask checkpoint) travel as one Credit request.
    this.crediting = true;
    queueMicrotask(() => {
      this.crediting = false;
      const credit = this.credit;
      this.credit = 0;
      if (this.closed || this.conn.closed) return;
      this.conn.request(APIS.credit, { subscriptionId: this.id, credit }).catch(() => {});
    });
  }

  reassign(positions: readonly FetchPosition[]): void {
    if (this.closed || this.conn.closed) return;
    this.reassigning++;
    // The answer is counted the moment its frame is read: pushes after it come from the new positions.
    this.conn
      .request(APIS.reassign, { subscriptionId: this.id, positions }, 0, () => this.reassigning--)
      .then(
        (r) => {
          // Refused (a partition is gone): the subscription cannot follow its owner any more.
          if (r.errorCode !== 0) {
            this.conn.request(APIS.unsubscribe, { subscriptionId: this.id }).catch(() => {});
            this.end(wireError(r.errorCode));
          }
        },
        () => {},
      );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.stop();
    this.stopRouting();
    if (this.own) {
      void this.conn.close();
    } else if (!this.conn.closed) {
      this.conn.request(APIS.unsubscribe, { subscriptionId: this.id }).catch(() => {});
    }
  }
}
