/**
 * Log-model consumers over any broker session: a group member that owns partitions, reads them from
 * its positions (pull: fetch with long-poll; push: a broker subscription with a credit window or a
 * bounded buffer) and commits offsets fenced by its generation.
 *
 * Membership (log-member.ts): a new assignment is applied between two batches, never during one;
 * the consumer drops what it had not yet handed out of revoked partitions.
 */
import type { CommitValue, ConsumerOptions, Delivery, PullConsumer, PushConsumer } from "../../contract.js";
import type { PushSubscription } from "../broker/api.js";
import { BrokerError } from "../broker/errors.js";
import { type PartitionRecords, visitRecords } from "../broker/partition.js";
import type { PushSink } from "../broker/subscription.js";
import { LogMember, tpKey } from "./log-member.js";
import type { BrokerSession } from "./session.js";
import type { ReferenceSettings } from "./settings.js";

/** Contract deliveries of an answer, from `from` on (records before it were handed out already). */
function toDeliveries(r: PartitionRecords, out: Delivery[], from: number): void {
  const topic = r.topic;
  const partition = r.partition;
  const below = r.redeliveredBelow ?? 0;
  visitRecords(
    r,
    (offset, key, payload) => {
      out.push({ topic, partition, offset, key, payload, redelivered: offset < below });
    },
    from,
  );
}

export class LogPullConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  /** Its group membership (a transactional producer commits offsets as this member). */
  readonly member: LogMember;
  private rotate = 0;

  private constructor(member: LogMember) {
    this.member = member;
  }

  static async create(
    session: BrokerSession,
    options: ConsumerOptions,
    settings: ReferenceSettings,
  ): Promise<LogPullConsumer> {
    const m = new LogMember(session, options, settings);
    await m.join();
    return new LogPullConsumer(m);
  }

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    const m = this.member;
    if (m.closed) throw new Error("consumer is closed");
    if (m.failure !== null) throw m.failure;
    const beat = m.quickHeartbeat();
    if (beat !== undefined) await beat;
    const before = m.applyPending();
    if (before !== false) await before;
    const deadline = performance.now() + waitMs;
    for (;;) {
      const positions = [...m.positions.values()];
      const remaining = Math.max(0, deadline - performance.now());
      if (positions.length === 0) {
        // No partitions (more members than partitions): wait for a rebalance or the deadline.
        await new Promise((r) => setTimeout(r, Math.min(remaining, 50)));
        await m.applyPending();
        if (performance.now() >= deadline) return [];
        continue;
      }
      // Rotate the start so that one busy partition cannot starve the others.
      const n = positions.length;
      const start = this.rotate++ % n;
      const ordered = start === 0 ? positions : [...positions.slice(start), ...positions.slice(0, start)];
      const r = await m.session.broker.fetch({
        partitions: ordered,
        maxRecords: max,
        waitMs: remaining,
        isolation: m.settings.isolation,
        group: m.options.group,
      });
      if (m.closed) return [];
      // A rebalance learned during the long poll: apply it first, so that records of a partition
      // revoked meanwhile (or restarted elsewhere) are dropped by the position check below.
      const meanwhile = m.applyPending();
      if (meanwhile !== false) await meanwhile;
      const out: Delivery[] = [];
      for (const p of r.partitions) {
        const k = tpKey(p.topic, p.partition);
        const pos = m.positions.get(k);
        // Rebalanced or sought while waiting: this answer is not for the current position.
        if (pos === undefined || pos.offset !== p.fromOffset) continue;
        if (p.error !== null) {
          if (p.error.name === "OFFSET_OUT_OF_RANGE") {
            // Retention deleted what we had not read: continue at the log start. Past the end
            // (the log was recreated): reset as the start position says, as Kafka's auto.offset.reset.
            const reset =
              p.fromOffset < p.logStartOffset || m.options.start !== "latest"
                ? p.logStartOffset
                : p.highWatermark;
            m.positions.set(k, { ...pos, offset: reset });
            continue;
          }
          if (p.error.name === "BROKER_CLOSED") throw new BrokerError(p.error);
          continue;
        }
        if (p.nextOffset !== pos.offset) m.positions.set(k, { ...pos, offset: p.nextOffset });
        if (p.count > 0) toDeliveries(p, out, p.fromOffset);
      }
      if (out.length > 0 || performance.now() >= deadline) return out;
      if (await m.applyPending()) continue;
    }
  }

  commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    return this.member.commit(deliveries);
  }

  close(): Promise<void> {
    return this.member.stop(true);
  }

  kill(): Promise<void> {
    return this.member.stop(false);
  }
}

export class LogPushConsumer implements PushConsumer {
  readonly delivery = "push" as const;
  /** Its group membership (a transactional producer commits offsets as this member). */
  readonly member: LogMember;
  private sub: PushSubscription | null = null;
  /** Pushed chunks waiting for the handler (which runs strictly one call at a time). */
  private waiting: PartitionRecords[] = [];
  private waitingCount = 0;
  /** push=buffer: the broker's deliveries, held back until the handler takes what waits. */
  private resume: (() => void)[] = [];
  private draining = false;
  /** push=credit: messages taken by the handler whose credit has not gone back yet (below `creditStep`). */
  private ungranted = 0;
  /** push=credit: credit goes back in steps of half the window (see `returnCredit`). */
  private creditStep = 1;
  /** A new assignment is pending: apply it before the next batch. */
  private changed = false;
  private onBatch: (batch: readonly Delivery[]) => void | Promise<void> = () => {};

  private constructor(member: LogMember) {
    this.member = member;
  }

  static async create(
    session: BrokerSession,
    options: ConsumerOptions,
    settings: ReferenceSettings,
  ): Promise<LogPushConsumer> {
    const m = new LogMember(session, options, settings);
    await m.join();
    return new LogPushConsumer(m);
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    const m = this.member;
    const s = m.settings;
    const credit = s.push === "credit";
    this.onBatch = onBatch;
    this.creditStep = Math.max(1, Math.floor(m.options.prefetch / 2));
    const sink: PushSink = {
      deliver: (records, count) => {
        if (m.closed) return;
        this.waiting.push(records);
        this.waitingCount += count;
        void this.drain();
        // push=buffer: while a chunk waits for a busy handler, the broker holds the next ones back
        // in its bounded buffer (which drops or disconnects on overflow, as configured).
        if (!credit && this.waiting.length > 0) return new Promise((r) => this.resume.push(r));
      },
      closed: (error) => {
        if (error !== null && !m.closed) {
          m.failure = new BrokerError(error, `push subscription ended: ${error.message}`);
        }
      },
    };
    this.sub = await m.session.broker.subscribe(
      {
        partitions: [...m.positions.values()],
        isolation: s.isolation,
        group: m.options.group,
        flow: credit
          ? { kind: "credit", credit: Math.max(1, m.options.prefetch) }
          : { kind: "buffer", capacity: s.pushBuffer, overflow: s.overflow },
      },
      sink,
    );
    // Whoever applies a new assignment (the delivery path, or a commit that met a rebalance), the
    // subscription moves to the new positions right after it was reported; chunks read before
    // that are stale: dropped, and their credit comes back.
    m.onApplied = () => {
      const sub = this.sub;
      if (sub === null || m.closed) return;
      this.dropWaiting();
      try {
        sub.reassign([...m.positions.values()]);
      } catch (err) {
        m.failure ??= err as Error;
      }
    };
    m.onChange = () => {
      this.changed = true;
      void this.drain();
    };
    void this.drain();
  }

  private dropWaiting(): void {
    const count = this.waitingCount;
    this.waiting = [];
    this.waitingCount = 0;
    for (const r of this.resume.splice(0)) r();
    if (this.member.settings.push === "credit") this.returnCredit(count, true);
  }

  /**
   * Gives the broker credit for `count` messages the handler took. Over TCP each grant is a frame
   * that wakes the broker, so credit goes back in steps of half the window (as AMQP clients refill
   * their link credit): what is held back here is always less than a step, so the window never
   * shrinks by more than half and never to nothing. `all`: everything owed goes back now.
   */
  private returnCredit(count: number, all: boolean): void {
    this.ungranted += count;
    if (this.ungranted === 0 || (!all && this.ungranted < this.creditStep)) return;
    const n = this.ungranted;
    this.ungranted = 0;
    this.sub?.grant(n);
  }

  /**
   * Hands waiting chunks to the handler, one call at a time; chunks that piled up while it ran go
   * together in the next call (bigger batches when behind: fewer commits). Credit goes back as the
   * handler takes a batch, not when it returns: the window refills while the batch is processed,
   * so the broker keeps sending while the handler commits.
   */
  private async drain(): Promise<void> {
    const sub = this.sub;
    if (this.draining || sub === null) return;
    this.draining = true;
    const m = this.member;
    const credit = m.settings.push === "credit";
    try {
      while (!m.closed && (this.waiting.length > 0 || this.changed)) {
        // Not awaited: deliveries go on while it travels; a new generation it brings sets
        // `changed` and is applied before the batch after.
        if (!this.changed) void m.quickHeartbeat();
        if (this.changed) {
          this.changed = false;
          await m.applyPending();
          continue;
        }
        const chunks = this.waiting;
        const count = this.waitingCount;
        this.waiting = [];
        this.waitingCount = 0;
        if (this.resume.length > 0) for (const r of this.resume.splice(0)) r();
        if (credit && count > 0) this.returnCredit(count, false);
        const batch: Delivery[] = [];
        for (const c of chunks) {
          const k = tpKey(c.topic, c.partition);
          const pos = m.positions.get(k);
          // Revoked, or from before the position: not this member's to hand out.
          if (pos === undefined || c.nextOffset <= pos.offset) continue;
          toDeliveries(c, batch, Math.max(c.fromOffset, pos.offset));
          m.positions.set(k, { topic: pos.topic, partition: pos.partition, offset: c.nextOffset });
        }
        if (batch.length === 0) continue;
        try {
          const handled = this.onBatch(batch);
          if (handled !== undefined) await handled;
        } catch {
          // The handler's own failures (e.g. a commit fenced by a rebalance) are the caller's to
          // record; they must not stop delivery.
        }
      }
    } finally {
      this.draining = false;
    }
  }

  commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    return this.member.commit(deliveries);
  }

  async close(): Promise<void> {
    this.sub?.close();
    await this.member.stop(true);
  }

  async kill(): Promise<void> {
    await this.member.stop(false);
    this.sub?.close();
  }
}
