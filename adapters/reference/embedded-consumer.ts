/**
 * Log-model consumers over an in-process Broker: a group member that owns partitions, reads them
 * from its positions (pull: fetch with long-poll; push: a broker subscription with a credit window
 * or a bounded buffer) and commits offsets fenced by its generation.
 *
 * Membership: a heartbeat timer keeps the member alive and brings new assignments (a new
 * generation). On a change the consumer keeps its position in partitions it still owns, starts the
 * new ones from the group's committed offset (else the start position), reports the assignment
 * (`onAssign`) before any of their messages, and drops what it had not yet handed out of revoked ones.
 */
import type {
  Assignment,
  CommitValue,
  ConsumerOptions,
  Delivery,
  PullConsumer,
  PushConsumer,
  TopicPartition,
} from "../contract.js";
import {
  type Broker,
  BrokerError,
  type FetchPosition,
  isBrokerError,
  type MemberState,
  type PartitionRecords,
  type Subscription,
  visitRecords,
} from "./broker/index.js";
import type { ReferenceSettings } from "./embedded-settings.js";

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Converts a broker answer into contract deliveries. */
export function toDeliveries(r: PartitionRecords, out: Delivery[]): void {
  const topic = r.topic;
  const partition = r.partition;
  const below = r.redeliveredBelow ?? 0;
  visitRecords(r, (offset, key, payload) => {
    out.push({ topic, partition, offset, key, payload, redelivered: offset < below });
  });
}

/** Group membership and positions, shared by the pull and push consumers. */
class LogMember {
  readonly broker: Broker;
  readonly options: ConsumerOptions;
  readonly settings: ReferenceSettings;
  memberId = "";
  generation = -1;
  /** Owned partitions → next offset to hand out. */
  positions = new Map<string, FetchPosition>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private pending: MemberState | null = null;
  /** Why the broker ended this member (overflow disconnect, session expiry); null while healthy. */
  failure: Error | null = null;
  closed = false;
  onChange: (() => void) | null = null;

  constructor(broker: Broker, options: ConsumerOptions, settings: ReferenceSettings) {
    this.broker = broker;
    this.options = options;
    this.settings = settings;
  }

  join(): void {
    const s = this.broker.joinGroup({
      group: this.options.group,
      memberId: null,
      clientId: `p${this.options.process}`,
      topics: this.options.topics,
      sessionTimeoutMs: this.settings.sessionTimeoutMs,
      strategy: this.settings.assignment,
      mode: "log",
    });
    this.memberId = s.memberId;
    this.apply(s);
    const every = Math.max(10, Math.floor(this.settings.sessionTimeoutMs / 3));
    this.timer = setInterval(() => this.heartbeat(), every);
    this.timer.unref();
  }

  /** Asks the broker for the current generation; a new one is applied at the next safe point. */
  private lastHeartbeatMs = 0;

  /**
   * A heartbeat at most every 10 ms from the poll loop / push path: in process it costs a map
   * lookup, and it lets a member learn of a rebalance within one poll rather than one heartbeat
   * interval, which keeps the window where two members read a moving partition short.
   */
  quickHeartbeat(): void {
    const now = performance.now();
    if (now - this.lastHeartbeatMs < 10) return;
    this.heartbeat();
  }

  heartbeat(): void {
    if (this.closed) return;
    this.lastHeartbeatMs = performance.now();
    try {
      const s = this.broker.heartbeat({ group: this.options.group, memberId: this.memberId });
      if (s.generation !== this.generation) {
        this.pending = s;
        this.onChange?.();
      }
    } catch (err) {
      if (isBrokerError(err, "UNKNOWN_MEMBER_ID")) {
        // Expired (e.g. the process stalled past the session timeout): rejoin as a new member.
        try {
          this.memberId = "";
          this.generation = -1; // a new member: nothing carries over
          this.positions = new Map();
          const s = this.broker.joinGroup({
            group: this.options.group,
            memberId: null,
            clientId: `p${this.options.process}`,
            topics: this.options.topics,
            sessionTimeoutMs: this.settings.sessionTimeoutMs,
            strategy: this.settings.assignment,
            mode: "log",
          });
          this.memberId = s.memberId;
          this.pending = s;
          this.onChange?.();
        } catch (e) {
          this.failure = e as Error;
        }
      } else {
        this.failure = err as Error;
      }
    }
  }

  /** Heartbeats and returns the member's current state (also queued as pending), null if it failed. */
  heartbeatState(): MemberState | null {
    try {
      const s = this.broker.heartbeat({ group: this.options.group, memberId: this.memberId });
      if (s.generation !== this.generation) {
        this.pending = s;
        this.onChange?.();
      }
      return s;
    } catch {
      this.heartbeat();
      return null;
    }
  }

  /** Applies a pending assignment; returns true when the owned partitions or positions changed. */
  applyPending(): boolean {
    const s = this.pending;
    if (s === null) return false;
    this.pending = null;
    return this.apply(s);
  }

  private apply(s: MemberState): boolean {
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
      const committed = this.broker.committedOffsets(this.options.group, fresh);
      for (const c of committed) {
        next.set(tpKey(c.topic, c.partition), {
          topic: c.topic,
          partition: c.partition,
          offset: c.offset ?? this.startOffset(c.topic, c.partition),
        });
      }
    }
    this.positions = next;
    if (changed) {
      const assignment: Assignment = {
        partitions: [...next.values()].map((p) => ({ topic: p.topic, partition: p.partition })),
        from: [...next.values()].map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })),
      };
      this.options.onAssign?.(assignment);
    }
    return changed;
  }

  private startOffset(topic: string, partition: number): number {
    return this.broker.listOffset(topic, partition, this.options.start === "latest" ? "latest" : "earliest");
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
      this.broker.commitOffsets({
        group: this.options.group,
        memberId: this.memberId,
        generation: this.generation,
        offsets,
      });
    try {
      await attempt();
    } catch (err) {
      if (!isBrokerError(err, "ILLEGAL_GENERATION")) throw err;
      // A rebalance we have not seen yet: if we still own every partition, nobody else read them.
      const before = this.generation;
      const s = this.heartbeatState();
      if (s === null) throw err;
      const owned = offsets.every((o) => {
        const i = s.assignment.findIndex((a) => a.topic === o.topic && a.partition === o.partition);
        return i >= 0 && (s.ownedSince[i] ?? Number.POSITIVE_INFINITY) <= before;
      });
      this.applyPending();
      if (!owned) throw err;
      await attempt();
    }
    return { kind: "offsets", offsets };
  }

  stop(leave: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (leave && !this.broker.isClosed) {
      try {
        this.broker.leaveGroup({ group: this.options.group, memberId: this.memberId });
      } catch {
        // Already gone (expired, broker closing): nothing to leave.
      }
    }
  }
}

export class EmbeddedPullConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  private readonly member: LogMember;
  private rotate = 0;

  private constructor(member: LogMember) {
    this.member = member;
  }

  static create(broker: Broker, options: ConsumerOptions, settings: ReferenceSettings): EmbeddedPullConsumer {
    const m = new LogMember(broker, options, settings);
    m.join();
    return new EmbeddedPullConsumer(m);
  }

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    const m = this.member;
    if (m.closed) throw new Error("consumer is closed");
    if (m.failure !== null) throw m.failure;
    m.quickHeartbeat();
    m.applyPending();
    const deadline = performance.now() + waitMs;
    for (;;) {
      const positions = [...m.positions.values()];
      const remaining = Math.max(0, deadline - performance.now());
      if (positions.length === 0) {
        // No partitions (more members than partitions): wait for a rebalance or the deadline.
        await new Promise((r) => setTimeout(r, Math.min(remaining, 50)));
        m.applyPending();
        if (performance.now() >= deadline) return [];
        continue;
      }
      // Rotate the start so that one busy partition cannot starve the others.
      const n = positions.length;
      const start = this.rotate++ % n;
      const ordered = start === 0 ? positions : [...positions.slice(start), ...positions.slice(0, start)];
      const r = await m.broker.fetch({
        partitions: ordered,
        maxRecords: max,
        waitMs: remaining,
        isolation: m.settings.isolation,
        group: m.options.group,
      });
      if (m.closed) return [];
      // A rebalance the timer learned during the long poll: apply it first, so that records of a
      // partition revoked meanwhile are dropped by the position check below.
      m.applyPending();
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
        if (p.count > 0) toDeliveries(p, out);
      }
      if (out.length > 0 || performance.now() >= deadline) return out;
      if (m.applyPending()) continue;
    }
  }

  commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    return this.member.commit(deliveries);
  }

  close(): Promise<void> {
    this.member.stop(true);
    return Promise.resolve();
  }

  kill(): Promise<void> {
    this.member.stop(false);
    return Promise.resolve();
  }
}

export class EmbeddedPushConsumer implements PushConsumer {
  readonly delivery = "push" as const;
  private readonly member: LogMember;
  private sub: Subscription | null = null;
  /** Counts reassignments of the subscription, to drop a chunk read before one. */
  private reassigned = 0;

  private constructor(member: LogMember) {
    this.member = member;
  }

  static create(broker: Broker, options: ConsumerOptions, settings: ReferenceSettings): EmbeddedPushConsumer {
    const m = new LogMember(broker, options, settings);
    m.join();
    return new EmbeddedPushConsumer(m);
  }

  /** Delivered and dropped message counts of the broker's subscription (push=buffer drops). */
  stats() {
    return this.sub?.stats() ?? null;
  }

  start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    const m = this.member;
    const s = m.settings;
    const credit = s.push === "credit";
    const prefetch = Math.max(1, this.member.options.prefetch);
    this.sub = m.broker.subscribe(
      {
        partitions: [...m.positions.values()],
        isolation: s.isolation,
        group: m.options.group,
        flow: credit
          ? { kind: "credit", credit: prefetch }
          : { kind: "buffer", capacity: s.pushBuffer, overflow: s.overflow },
      },
      {
        deliver: (records, count) => {
          // May rebalance (onChange reassigns): then this chunk is from before and is dropped below.
          const epoch = this.reassigned;
          m.quickHeartbeat();
          const k = tpKey(records.topic, records.partition);
          const pos = m.positions.get(k);
          if (pos === undefined || m.closed || this.reassigned !== epoch) {
            // Revoked or moved while this chunk was on its way (the subscription was reassigned and
            // reads again from the new position): dropped, and the credit comes back.
            if (credit) this.sub?.grant(count);
            return;
          }
          m.positions.set(k, { ...pos, offset: records.nextOffset });
          const batch: Delivery[] = [];
          toDeliveries(records, batch);
          // The handler's own failures (e.g. a commit fenced by a rebalance) are the caller's to
          // record; they must not stop delivery.
          let done: void | Promise<void>;
          try {
            done = onBatch(batch);
          } catch {
            done = undefined;
          }
          if (done === undefined) {
            if (credit) this.sub?.grant(count);
            return;
          }
          return done.then(
            () => (credit ? this.sub?.grant(count) : undefined),
            () => (credit ? this.sub?.grant(count) : undefined),
          );
        },
        closed: (error) => {
          if (error !== null && !m.closed) {
            m.failure = new BrokerError(error, `push subscription ended: ${error.message}`);
          }
        },
      },
    );
    m.onChange = () => {
      // Rebalance: report first, then move the subscription to the new positions.
      if (m.applyPending() && this.sub !== null) {
        this.reassigned++;
        m.broker.reassign(this.sub, [...m.positions.values()]);
      }
    };
    return Promise.resolve();
  }

  commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    return this.member.commit(deliveries);
  }

  close(): Promise<void> {
    this.sub?.close();
    this.member.stop(true);
    return Promise.resolve();
  }

  kill(): Promise<void> {
    this.sub?.close();
    this.member.stop(false);
    return Promise.resolve();
  }
}
