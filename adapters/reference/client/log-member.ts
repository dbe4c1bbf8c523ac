/**
 * A log-model group member as the reference consumers hold it: joins its group, keeps itself alive
 * (a heartbeat timer, and quick heartbeats from the poll and delivery paths), learns new
 * generations, applies them between batches (positions kept for partitions owned without a break,
 * new ones from the committed offset or the start position, `onAssign` before their messages) and
 * commits offsets fenced by its generation, retrying a fenced commit only when nobody else can
 * have owned the partitions meanwhile.
 */
import type { Assignment, CommitValue, ConsumerOptions, Delivery, TopicPartition } from "../../contract.js";
import type { FetchPosition, JoinGroupRequest, MemberState } from "../broker/broker.js";
import { isBrokerError } from "../broker/errors.js";
import type { BrokerSession } from "./session.js";
import type { ReferenceSettings } from "./settings.js";

export const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** The next offsets to read after `deliveries`, per partition (what a commit of them records). */
export function offsetsAfter(
  deliveries: readonly Delivery[],
): { topic: string; partition: number; offset: number }[] {
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
  return [...next.values()];
}

/**
 * The poll and delivery paths heartbeat at most this often (besides the session timer): a busy
 * member learns of a rebalance within one poll or batch, which keeps the window where a moving
 * partition is read by its old and new owner (and the old owner's commits are fenced) short.
 */
const QUICK_HEARTBEAT_MS = 10;

/** Group membership and positions, shared by the pull and push consumers. */
export class LogMember {
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
    const offsets = offsetsAfter(deliveries);
    await this.commitAs(offsets, (generation) =>
      this.session.broker.commitOffsets({
        group: this.options.group,
        memberId: this.memberId,
        generation,
        offsets,
      }),
    );
    return { kind: "offsets", offsets };
  }

  /**
   * Commits `offsets` through `attempt` (a plain commit, or one inside a transaction) with the
   * member's generation; on a stale generation retries once if it still owns them.
   */
  async commitAs(
    offsets: readonly { topic: string; partition: number; offset: number }[],
    attempt: (generation: number) => Promise<void>,
  ): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (offsets.length === 0) return;
    try {
      await attempt(this.generation);
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
      await attempt(this.generation);
    }
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
