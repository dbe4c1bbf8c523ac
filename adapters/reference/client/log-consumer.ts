/**
 * Log-model consumers over any broker session: a group member that owns partitions, reads them from
 * its positions (pull: fetch with long-poll; push: a broker subscription with a credit window or a
 * bounded buffer) and commits offsets fenced by its generation.
 *
 * Membership: a heartbeat timer keeps the member alive and brings new assignments (a new
 * generation); the poll and delivery paths heartbeat too, at most every QUICK_HEARTBEAT_MS, so a
 * busy member learns of a rebalance within one poll or batch. A new assignment is applied between
 * two batches, never during one: the consumer keeps its position in partitions it owned without a
 * break, starts the new ones from the group's committed offset (else the start position), reports
 * the assignment (`onAssign`) before any of their messages, and drops what it had not yet handed
 * out of revoked ones.
 */
import type {
  Assignment,
  CommitValue,
  ConsumerOptions,
  Delivery,
  PullConsumer,
  PushConsumer,
  TopicPartition,
} from "../../contract.js";
import type { PushSubscription } from "../broker/api.js";
import type { FetchPosition, JoinGroupRequest, MemberState } from "../broker/broker.js";
import { BrokerError, isBrokerError } from "../broker/errors.js";
import { type PartitionRecords, visitRecords } from "../broker/partition.js";
import type { PushSink } from "../broker/subscription.js";
import type { BrokerSession } from "./session.js";
import type { ReferenceSettings } from "./settings.js";

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The poll and delivery paths heartbeat at most this often (besides the session timer): a busy
 * member learns of a rebalance within one poll or batch, which keeps the window where a moving
 * partition is read by its old and new owner (and the old owner's commits are fenced) short.
 */
const QUICK_HEARTBEAT_MS = 10;

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

/** Group membership and positions, shared by the pull and push consumers. */
class LogMember {
  readonly session: BrokerSession;
  readonly options: ConsumerOptions;
  readonly settings: ReferenceSettings;
  memberId = "";
  generation = -1;
  /** Owned partitions → next offset to hand out. */
  positions = new Map<string, FetchPosition>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private pending: MemberState | null = null;
  /** Assignments are applied one after another (applying may wait for the broker). */
  private applying: Promise<boolean> = Promise.resolve(false);
  private applyingCount = 0;
  private beating = false;
  private lastHeartbeatMs = 0;
  /** Why this member cannot go on (the broker ended it, the connection is gone); null while healthy. */
  failure: Error | null = null;
  closed = false;
  /** A new generation is pending (push: apply it between batches). */
  onChange: (() => void) | null = null;
  /** An assignment changed the owned partitions or positions (push: move the subscription). */
  onApplied: (() => void) | null = null;

  constructor(session: BrokerSession, options: ConsumerOptions, settings: ReferenceSettings) {
    this.session = session;
    this.options = options;
    this.settings = settings;
    session.onLost((err) => {
      if (!this.closed) this.failure ??= err;
    });
  }

  private joinRequest(): JoinGroupRequest {
    return {
      group: this.options.group,
      memberId: null,
      clientId: `p${this.options.process}`,
      topics: this.options.topics,
      sessionTimeoutMs: this.settings.sessionTimeoutMs,
      strategy: this.settings.assignment,
      mode: "log",
    };
  }

  async join(): Promise<void> {
    const s = await this.session.broker.joinGroup(this.joinRequest());
    this.memberId = s.memberId;
    await this.apply(s);
    const every = Math.max(10, Math.floor(this.settings.sessionTimeoutMs / 3));
    this.timer = setInterval(() => void this.heartbeat(), every);
    this.timer.unref();
  }

  /** A heartbeat from the poll/delivery path; undefined when one went out less than QUICK_HEARTBEAT_MS ago. */
  quickHeartbeat(): Promise<void> | undefined {
    if (performance.now() - this.lastHeartbeatMs < QUICK_HEARTBEAT_MS) return undefined;
    return this.heartbeat();
  }

  /** Asks the broker for the current generation; a new one is applied at the next safe point. */
  async heartbeat(): Promise<void> {
    if (this.closed || this.beating) return;
    this.beating = true;
    this.lastHeartbeatMs = performance.now();
    const api = this.session.broker;
    try {
      let s: MemberState;
      try {
        s = await api.heartbeat({ group: this.options.group, memberId: this.memberId });
      } catch (err) {
        if (!isBrokerError(err, "UNKNOWN_MEMBER_ID")) throw err;
        // Expired (e.g. the process stalled past the session timeout): rejoin as a new member;
        // nothing carries over.
        this.memberId = "";
        this.generation = -1;
        this.positions = new Map();
        s = await api.joinGroup(this.joinRequest());
        this.memberId = s.memberId;
        this.pending = s;
        this.onChange?.();
        return;
      }
      if (s.generation !== this.generation) {
        this.pending = s;
        this.onChange?.();
      }
    } catch (err) {
      if (!this.closed) this.failure = err as Error;
    } finally {
      this.beating = false;
    }
  }

  /** Heartbeats and returns the member's current state (also queued as pending), null if it failed. */
  private async heartbeatState(): Promise<MemberState | null> {
    try {
      const s = await this.session.broker.heartbeat({ group: this.options.group, memberId: this.memberId });
      if (s.generation !== this.generation) {
        this.pending = s;
        this.onChange?.();
      }
      return s;
    } catch {
      await this.heartbeat();
      return null;
    }
  }

  /**
   * Applies a pending assignment; true when the owned partitions or positions changed. False at
   * once (no promise) when there is nothing to apply, the common case on the delivery path.
   */
  applyPending(): boolean | Promise<boolean> {
    if (this.pending === null && this.applyingCount === 0) return false;
    if (this.pending === null) return this.applying.then(() => false);
    this.applyingCount++;
    this.applying = this.applying.then(() => {
      const s = this.pending;
      this.pending = null;
      return s === null ? false : this.apply(s);
    });
    const done = this.applying;
    void done.finally(() => this.applyingCount--).catch(() => {});
    return done;
  }

  private async apply(s: MemberState): Promise<boolean> {
    // A position carries over only for a partition owned without a break since the generation it
    // was read at; otherwise someone else may have owned it meanwhile: restart from the committed offset.
    const previous = this.positions;
    const applied = this.generation;
    this.generation = s.generation;
    const next = new Map<string, FetchPosition>();
    const fresh: TopicPartition[] = [];
    s.assignment.forEach((tp, i) => {
      const k = tpKey(tp.topic, tp.partition);
      const kept = previous.get(k);
      if (kept !== undefined && (s.ownedSince[i] ?? Number.POSITIVE_INFINITY) <= applied) next.set(k, kept);
      else fresh.push(tp);
    });
    const changed = fresh.length > 0 || next.size !== previous.size;
    if (fresh.length > 0) {
      const api = this.session.broker;
      const committed = await api.committedOffsets(this.options.group, fresh);
      for (const c of committed) {
        const offset = c.offset ?? (await this.startOffset(c.topic, c.partition));
        next.set(tpKey(c.topic, c.partition), { topic: c.topic, partition: c.partition, offset });
      }
    }
    this.positions = next;
    if (changed) {
      const assignment: Assignment = {
        partitions: [...next.values()].map((p) => ({ topic: p.topic, partition: p.partition })),
        from: [...next.values()].map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })),
      };
      this.options.onAssign?.(assignment);
      this.onApplied?.();
    }
    return changed;
  }

  startOffset(topic: string, partition: number): Promise<number> | number {
    const which = this.options.start === "latest" ? "latest" : "earliest";
    return this.session.broker.listOffset(topic, partition, which);
  }

  /** Commits the offsets after the deliveries; on a stale generation retries once if it still owns them. */
  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    if (this.failure !== null) throw this.failure;
    const next = new Map<string, { topic: string; partition: number; offset: number }>();
    // Deliveries come in runs of one partition: look the partition up once per run.
    let cur: { topic: string; partition: number; offset: number } | undefined;
    for (let i = 0; i < deliveries.length; i++) {
      const d = deliveries[i]!;
      if (d.offset === null) continue;
      if (cur === undefined || cur.topic !== d.topic || cur.partition !== d.partition) {
        const k = tpKey(d.topic, d.partition);
        cur = next.get(k);
        if (cur === undefined) {
          cur = { topic: d.topic, partition: d.partition, offset: d.offset + 1 };
          next.set(k, cur);
        }
      }
      if (d.offset + 1 > cur.offset) cur.offset = d.offset + 1;
    }
    const offsets = [...next.values()];
    if (offsets.length === 0) return { kind: "offsets", offsets: [] };
    const attempt = () =>
      this.session.broker.commitOffsets({
        group: this.options.group,
        memberId: this.memberId,
        generation: this.generation,
        offsets,
      });
    try {
      await attempt();
    } catch (err) {
      if (!isBrokerError(err, "ILLEGAL_GENERATION")) throw err;
      // A rebalance not seen yet: retry only if we owned every partition without a break since the
      // generation we read at (then nobody else read them).
      const before = this.generation;
      const s = await this.heartbeatState();
      const owned =
        s !== null &&
        offsets.every((o) => {
          const i = s.assignment.findIndex((a) => a.topic === o.topic && a.partition === o.partition);
          return i >= 0 && (s.ownedSince[i] ?? Number.POSITIVE_INFINITY) <= before;
        });
      await this.applyPending();
      if (!owned) throw err;
      await attempt();
    }
    return { kind: "offsets", offsets };
  }

  /** Stops the member: with `leave` it leaves the group and closes its session; without, it just dies. */
  async stop(leave: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (!leave) {
      this.session.kill();
      return;
    }
    try {
      await this.session.broker.leaveGroup({ group: this.options.group, memberId: this.memberId });
    } catch {
      // Already gone (expired, broker closing, connection lost): the session timeout removes it.
    }
    await this.session.close();
  }
}

export class LogPullConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  private readonly member: LogMember;
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
  private readonly member: LogMember;
  private sub: PushSubscription | null = null;
  /** Pushed chunks waiting for the handler (which runs strictly one call at a time). */
  private waiting: PartitionRecords[] = [];
  private waitingCount = 0;
  /** push=buffer: the broker's deliveries, held back until the handler takes what waits. */
  private resume: (() => void)[] = [];
  private draining = false;
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
    if (count > 0 && this.member.settings.push === "credit") this.sub?.grant(count);
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
        if (credit && count > 0) sub.grant(count);
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
