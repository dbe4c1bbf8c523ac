/**
 * Queue mode: a shared subscription of one group. Every partition of the group's topics is shared
 * by all members; each message goes to one member at a time and stays *in flight* until that member
 * acks it. A nack, an ack timeout or the member's death puts it back for redelivery (flagged
 * `redelivered`); after `maxDeliveries` deliveries it is appended to the dead-letter topic instead.
 *
 * Progress is stored as the group's committed offset per partition: the lowest offset not yet
 * settled (acked or dead-lettered). Settled messages above it are remembered only in memory, so after
 * a broker restart they are delivered again (at-least-once), never lost.
 */
import type { RecordInput, StoredRecord } from "../storage/partition-log.js";
import { brokerError } from "./errors.js";
import type { GroupState } from "./group.js";
import { type AppendListener, forEachRecord, type Isolation, type PartitionState } from "./partition.js";

export interface QueueOptions {
  /** A delivered message not acked within this time is redelivered. */
  readonly ackTimeoutMs: number;
  /** After this many deliveries a nacked/timed-out message goes to the dead-letter topic. */
  readonly maxDeliveries: number;
  /** Dead-letter topic; null: `<topic>.dlq`. */
  readonly deadLetterTopic: string | null;
  /** How many unacked messages a member may hold (its prefetch). */
  readonly prefetch: number;
  readonly isolation: Isolation;
}

export interface QueueDelivery {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly payload: Uint8Array;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  readonly redelivered: boolean;
}

export interface QueueSink {
  /** A returned promise holds the next delivery to this member back. */
  deliver(messages: readonly QueueDelivery[]): void | Promise<void>;
}

export interface QueueStats {
  readonly inFlightMessages: number;
  readonly redeliveredMessages: number;
  readonly deadLetteredMessages: number;
  readonly pendingRedeliveries: number;
}

/** What the queue needs from the broker. */
export interface QueueHost {
  partition(topic: string, partition: number): PartitionState | undefined;
  committed(group: string, topic: string, partition: number): number | null;
  commit(group: string, topic: string, partition: number, offset: number): Promise<void>;
  deadLetter(topic: string, records: readonly RecordInput[]): Promise<void>;
  now(): number;
}

interface InFlight {
  readonly offset: number;
  readonly record: StoredRecord;
  member: string;
  deadlineMs: number;
}

interface Cursor {
  readonly p: PartitionState;
  /** Next offset never dispatched yet. */
  next: number;
  /** Lowest offset not yet settled, as last committed. */
  committed: number;
  readonly inFlight: Map<number, InFlight>;
  /** Offsets waiting for redelivery, with their records, oldest first. */
  readonly redeliver: { offset: number; record: StoredRecord }[];
  readonly deliveries: Map<number, number>;
}

interface Member {
  readonly id: string;
  sink: QueueSink;
  credit: number;
  busy: boolean;
  /** Partitions this member subscribes to (from its group assignment). */
  cursors: Cursor[];
}

const MAX_CHUNK = 1000;

export class QueueGroup implements AppendListener {
  private readonly group: string;
  private readonly host: QueueHost;
  private readonly options: QueueOptions;
  private readonly cursors = new Map<PartitionState, Cursor>();
  private readonly members = new Map<string, Member>();
  private rr = 0;
  private scheduled = false;
  private closed = false;
  private redelivered = 0;
  private deadLettered = 0;

  constructor(group: string, host: QueueHost, options: QueueOptions) {
    this.group = group;
    this.host = host;
    this.options = options;
  }

  attach(memberId: string, sink: QueueSink, options: QueueOptions): void {
    const existing = this.members.get(memberId);
    if (existing !== undefined) {
      existing.sink = sink;
      return;
    }
    this.members.set(memberId, { id: memberId, sink, credit: options.prefetch, busy: false, cursors: [] });
  }

  /** The group's members or assignment changed: (re)attach partitions; a departed member's messages go back. */
  membersChanged(g: GroupState): void {
    for (const id of [...this.members.keys()]) if (!g.members.has(id)) this.memberGone(id);
    for (const m of this.members.values()) {
      const gm = g.members.get(m.id);
      m.cursors = [];
      for (const tp of gm?.assignment ?? []) {
        const p = this.host.partition(tp.topic, tp.partition);
        if (p === undefined) continue;
        m.cursors.push(this.cursor(p));
      }
    }
    this.schedule();
  }

  private cursor(p: PartitionState): Cursor {
    let c = this.cursors.get(p);
    if (c === undefined) {
      const committed = this.host.committed(this.group, p.topic, p.partition) ?? p.log.startOffset;
      const start = Math.max(committed, p.log.startOffset);
      c = { p, next: start, committed: start, inFlight: new Map(), redeliver: [], deliveries: new Map() };
      this.cursors.set(p, c);
      p.listeners.add(this);
    }
    return c;
  }

  /** Every message in flight to the member goes back for redelivery. */
  memberGone(memberId: string): void {
    this.members.delete(memberId);
    for (const c of this.cursors.values()) {
      for (const f of [...c.inFlight.values()]) if (f.member === memberId) this.returnMessage(c, f);
    }
    this.schedule();
  }

  grant(memberId: string, n: number): void {
    const m = this.members.get(memberId);
    if (m === undefined) return;
    m.credit += n;
    this.schedule();
  }

  onAppend(_p: PartitionState): void {
    this.schedule();
  }

  async settle(
    memberId: string,
    acks: readonly { topic: string; partition: number; offset: number }[],
    nacks: readonly { topic: string; partition: number; offset: number }[],
  ): Promise<void> {
    const touched = new Set<Cursor>();
    const find = (x: { topic: string; partition: number; offset: number }) => {
      const p = this.host.partition(x.topic, x.partition);
      const c = p === undefined ? undefined : this.cursors.get(p);
      const f = c?.inFlight.get(x.offset);
      if (c === undefined || f === undefined || f.member !== memberId) {
        throw brokerError(
          "UNKNOWN_DELIVERY",
          `${x.topic}/${x.partition}@${x.offset} is not in flight to member "${memberId}" (acked, timed out or redelivered)`,
        );
      }
      return { c, f };
    };
    // Validate everything first so a bad id settles nothing.
    const ackItems = acks.map(find);
    const nackItems = nacks.map(find);
    for (const { c, f } of ackItems) {
      c.inFlight.delete(f.offset);
      c.deliveries.delete(f.offset);
      touched.add(c);
    }
    for (const { c, f } of nackItems) this.returnMessage(c, f);
    const m = this.members.get(memberId);
    if (m !== undefined) m.credit += ackItems.length + nackItems.length;
    this.schedule();
    await Promise.all([...touched].map((c) => this.advance(c)));
  }

  /** Expires in-flight messages past their ack deadline. */
  tick(now: number): void {
    let any = false;
    for (const c of this.cursors.values()) {
      for (const f of [...c.inFlight.values()]) {
        if (f.deadlineMs <= now) {
          const m = this.members.get(f.member);
          if (m !== undefined) m.credit++;
          this.returnMessage(c, f);
          any = true;
        }
      }
    }
    if (any) this.schedule();
  }

  /** Forgets the cursors of a deleted topic (its messages are gone). */
  topicDeleted(topic: string): void {
    for (const [p, c] of [...this.cursors]) {
      if (p.topic !== topic) continue;
      p.listeners.delete(this);
      this.cursors.delete(p);
      for (const m of this.members.values()) m.cursors = m.cursors.filter((x) => x !== c);
    }
  }

  extendDeadlines(ms: number): void {
    for (const c of this.cursors.values()) for (const f of c.inFlight.values()) f.deadlineMs += ms;
  }

  stats(): QueueStats {
    let inFlight = 0;
    let pending = 0;
    for (const c of this.cursors.values()) {
      inFlight += c.inFlight.size;
      pending += c.redeliver.length;
    }
    return {
      inFlightMessages: inFlight,
      redeliveredMessages: this.redelivered,
      deadLetteredMessages: this.deadLettered,
      pendingRedeliveries: pending,
    };
  }

  close(): void {
    this.closed = true;
    for (const c of this.cursors.values()) c.p.listeners.delete(this);
  }

  /** Back for redelivery, or to the dead-letter topic after maxDeliveries. */
  private returnMessage(c: Cursor, f: InFlight): void {
    c.inFlight.delete(f.offset);
    const count = c.deliveries.get(f.offset) ?? 1;
    if (count >= this.options.maxDeliveries) {
      c.deliveries.delete(f.offset);
      this.deadLettered++;
      const topic = this.options.deadLetterTopic ?? `${c.p.topic}.dlq`;
      // The message is settled once it is in the dead-letter topic.
      c.inFlight.set(f.offset, { ...f, member: "", deadlineMs: Number.POSITIVE_INFINITY });
      void this.host
        .deadLetter(topic, [{ key: f.record.key, payload: f.record.payload }])
        .then(() => {
          c.inFlight.delete(f.offset);
          return this.advance(c);
        })
        .catch(() => {
          // Could not dead-letter (broker closing): leave it for redelivery.
          c.inFlight.delete(f.offset);
          c.redeliver.push({ offset: f.offset, record: f.record });
          this.schedule();
        });
      return;
    }
    c.redeliver.push({ offset: f.offset, record: f.record });
  }

  /** Commits the lowest unsettled offset of the partition when it moved. */
  private advance(c: Cursor): Promise<void> {
    let low = c.next;
    for (const o of c.inFlight.keys()) if (o < low) low = o;
    for (const r of c.redeliver) if (r.offset < low) low = r.offset;
    if (low <= c.committed) return Promise.resolve();
    c.committed = low;
    return this.host.commit(this.group, c.p.topic, c.p.partition, low);
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  /** Hands out redeliveries first, then new messages, to members with credit, in turn. */
  private dispatch(): void {
    if (this.closed) return;
    const members = [...this.members.values()];
    let progress = true;
    while (progress) {
      progress = false;
      for (let i = 0; i < members.length; i++) {
        const m = members[(this.rr + i) % members.length]!;
        if (m.busy || m.credit <= 0 || !this.members.has(m.id)) continue;
        const batch = this.take(m);
        if (batch.length === 0) continue;
        progress = true;
        this.send(m, batch);
      }
      this.rr++;
    }
  }

  private take(m: Member): QueueDelivery[] {
    const out: QueueDelivery[] = [];
    const now = this.host.now();
    const deadline = now + this.options.ackTimeoutMs;
    for (const c of m.cursors) {
      while (c.redeliver.length > 0 && out.length < m.credit) {
        const r = c.redeliver.shift()!;
        const n = (c.deliveries.get(r.offset) ?? 1) + 1;
        c.deliveries.set(r.offset, n);
        c.inFlight.set(r.offset, { offset: r.offset, record: r.record, member: m.id, deadlineMs: deadline });
        this.redelivered++;
        out.push(delivery(c, r.record, n));
      }
    }
    for (const c of m.cursors) {
      const room = Math.min(m.credit - out.length, MAX_CHUNK);
      if (room <= 0) break;
      if (c.next < c.p.log.startOffset) c.next = c.p.log.startOffset;
      const r = c.p.read(c.next, room, 1 << 20, this.options.isolation);
      if (r.error !== null) continue;
      forEachRecord(r, (rec) => {
        c.deliveries.set(rec.offset, 1);
        c.inFlight.set(rec.offset, { offset: rec.offset, record: rec, member: m.id, deadlineMs: deadline });
        out.push(delivery(c, rec, 1));
      });
      c.next = r.nextOffset;
    }
    m.credit -= out.length;
    return out;
  }

  private send(m: Member, batch: readonly QueueDelivery[]): void {
    let result: void | Promise<void>;
    try {
      result = m.sink.deliver(batch);
    } catch {
      result = undefined;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === "function") {
      m.busy = true;
      (result as Promise<void>).then(
        () => {
          m.busy = false;
          this.schedule();
        },
        () => {
          m.busy = false;
        },
      );
    }
  }
}

function delivery(c: Cursor, rec: StoredRecord, count: number): QueueDelivery {
  return {
    topic: c.p.topic,
    partition: c.p.partition,
    offset: rec.offset,
    key: rec.key,
    payload: rec.payload,
    deliveryCount: count,
    redelivered: count > 1,
  };
}
