/**
 * Log-model consumers over a connection to a reference broker server: the same behaviour as the
 * embedded ones (embedded-consumer.ts), with every broker call a request. A group member owns
 * partitions, reads them from its positions (pull: Fetch with long-poll; push: a Subscribe with a
 * credit window or a bounded buffer) and commits offsets fenced by its generation. A heartbeat
 * timer keeps it alive and brings new assignments, applied at the next safe point.
 *
 * Each consumer has its own connection: `kill()` drops it without a goodbye, as a crashed client.
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
import { ReferenceClient, ServerError } from "./client/client.js";
import type { ReferenceSettings } from "./embedded-settings.js";
import type { ErrorPart } from "./protocol/api.js";
import { APIS } from "./protocol/apis.js";
import type { Position, WireMemberState } from "./protocol/common.js";
import { type PushBody, readPush } from "./protocol/push.js";

type PushRecords = Extract<PushBody, { kind: "records" }>;

import type { FetchResponseIn } from "./protocol/requests/05-fetch.js";

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
/** push=buffer: stop reading deliveries while this many messages wait for the handler. */
const PAUSE_AT = 2000;
const ERR = { OFFSET_OUT_OF_RANGE: 1, ILLEGAL_GENERATION: 22, UNKNOWN_MEMBER_ID: 25 } as const;
/**
 * The poll and delivery paths heartbeat at most this often (besides the session timer), so a busy
 * member learns of a rebalance within one poll or batch instead of one heartbeat interval: that
 * keeps the window where a moving partition is read by its old and new owner (and the old owner's
 * commits are fenced) short. One small request per 20 ms of traffic.
 */
const QUICK_HEARTBEAT_MS = 20;

function check<T extends ErrorPart>(r: T): T {
  if (r.errorCode !== 0) throw new ServerError(r.errorCode, r.errorMessage);
  return r;
}

class RemoteLogMember {
  readonly client: ReferenceClient;
  readonly options: ConsumerOptions;
  readonly settings: ReferenceSettings;
  memberId = "";
  generation = -1;
  positions = new Map<string, Position>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private pending: WireMemberState | null = null;
  private beating = false;
  failure: Error | null = null;
  closed = false;
  onChange: (() => void) | null = null;
  /** Called after an assignment changed the owned partitions or positions (push: move the subscription). */
  onApplied: (() => void) | null = null;

  constructor(client: ReferenceClient, options: ConsumerOptions, settings: ReferenceSettings) {
    this.client = client;
    this.options = options;
    this.settings = settings;
    client.onClose((err) => {
      if (!this.closed) this.failure ??= err;
    });
  }

  private joinRequest() {
    return {
      group: this.options.group,
      memberId: null,
      clientId: `p${this.options.process}`,
      topics: this.options.topics,
      sessionTimeoutMs: this.settings.sessionTimeoutMs,
      strategy: this.settings.assignment,
      mode: "log" as const,
    };
  }

  async join(): Promise<void> {
    const s = check(await this.client.request(APIS.joinGroup, this.joinRequest()));
    this.memberId = s.memberId;
    await this.apply(s);
    const every = Math.max(10, Math.floor(this.settings.sessionTimeoutMs / 3));
    this.timer = setInterval(() => void this.heartbeat(), every);
    this.timer.unref();
  }

  private lastHeartbeatMs = 0;

  /** A heartbeat from the poll/delivery path, rate-limited (QUICK_HEARTBEAT_MS). */
  async quickHeartbeat(): Promise<void> {
    if (performance.now() - this.lastHeartbeatMs < QUICK_HEARTBEAT_MS) return;
    await this.heartbeat();
  }

  async heartbeat(): Promise<void> {
    if (this.closed || this.beating) return;
    this.beating = true;
    this.lastHeartbeatMs = performance.now();
    try {
      const s = await this.client.request(APIS.heartbeat, {
        group: this.options.group,
        memberId: this.memberId,
      });
      if (s.errorCode === ERR.UNKNOWN_MEMBER_ID) {
        // Expired (stalled past the session timeout): rejoin as a new member; nothing carries over.
        this.memberId = "";
        this.generation = -1;
        this.positions = new Map();
        const j = check(await this.client.request(APIS.joinGroup, this.joinRequest()));
        this.memberId = j.memberId;
        this.pending = j;
        this.onChange?.();
      } else if (check(s).generation !== this.generation) {
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
  async heartbeatState(): Promise<WireMemberState | null> {
    try {
      const s = check(
        await this.client.request(APIS.heartbeat, { group: this.options.group, memberId: this.memberId }),
      );
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

  async applyPending(): Promise<boolean> {
    const s = this.pending;
    if (s === null) return false;
    this.pending = null;
    return this.apply(s);
  }

  private async apply(s: WireMemberState): Promise<boolean> {
    // A position carries over only for a partition owned without a break since the generation it
    // was read at; otherwise someone else may have owned it meanwhile: restart from the committed offset.
    const previous = this.positions;
    const applied = this.generation;
    this.generation = s.generation;
    const next = new Map<string, Position>();
    const fresh: TopicPartition[] = [];
    for (let i = 0; i < s.assignment.length; i++) {
      const tp = s.assignment[i]!;
      const kept = previous.get(tpKey(tp.topic, tp.partition));
      if (kept !== undefined && (s.ownedSince[i] ?? Number.POSITIVE_INFINITY) <= applied) {
        next.set(tpKey(tp.topic, tp.partition), kept);
      } else fresh.push(tp);
    }
    const changed = fresh.length > 0 || next.size !== previous.size;
    if (fresh.length > 0) {
      const committed = check(
        await this.client.request(APIS.offsetFetch, { group: this.options.group, partitions: fresh }),
      );
      for (const c of committed.offsets) {
        const offset = c.offset >= 0 ? c.offset : await this.startOffset(c.topic, c.partition);
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

  private async startOffset(topic: string, partition: number): Promise<number> {
    const which = this.options.start === "latest" ? "latest" : "earliest";
    return check(await this.client.request(APIS.listOffsets, { topic, partition, which })).offset;
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    if (this.failure !== null) throw this.failure;
    const next = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const d of deliveries) {
      if (d.offset === null) continue;
      const k = tpKey(d.topic, d.partition);
      const cur = next.get(k);
      if (cur === undefined) next.set(k, { topic: d.topic, partition: d.partition, offset: d.offset + 1 });
      else if (d.offset + 1 > cur.offset) cur.offset = d.offset + 1;
    }
    const offsets = [...next.values()];
    if (offsets.length === 0) return { kind: "offsets", offsets: [] };
    const attempt = () =>
      this.client.request(APIS.offsetCommit, {
        group: this.options.group,
        memberId: this.memberId,
        generation: this.generation,
        offsets,
      });
    let r = await attempt();
    if (r.errorCode === ERR.ILLEGAL_GENERATION) {
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
      if (owned) r = await attempt();
    }
    check(r);
    return { kind: "offsets", offsets };
  }

  async stop(leave: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (leave && !this.client.closed) {
      try {
        await this.client.request(APIS.leaveGroup, { group: this.options.group, memberId: this.memberId });
      } catch {
        // The connection is gone: the session timeout removes us.
      }
      await this.client.close();
    } else {
      this.client.destroy();
    }
  }
}

/** Records below `redeliveredBelow` were delivered to the group before (the broker's redelivered flag). */
function toDeliveries(
  topic: string,
  partition: number,
  redeliveredBelow: number,
  records: readonly { offset: number; key: string | null; payload: Uint8Array }[],
  out: Delivery[],
): void {
  for (const r of records) {
    out.push({
      topic,
      partition,
      offset: r.offset,
      key: r.key,
      payload: r.payload,
      redelivered: r.offset < redeliveredBelow,
    });
  }
}

export class RemotePullConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  private readonly member: RemoteLogMember;
  private rotate = 0;

  private constructor(member: RemoteLogMember) {
    this.member = member;
  }

  static async create(
    client: ReferenceClient,
    options: ConsumerOptions,
    settings: ReferenceSettings,
  ): Promise<RemotePullConsumer> {
    const m = new RemoteLogMember(client, options, settings);
    await m.join();
    return new RemotePullConsumer(m);
  }

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    const m = this.member;
    if (m.closed) throw new Error("consumer is closed");
    if (m.failure !== null) throw m.failure;
    await m.quickHeartbeat();
    await m.applyPending();
    const deadline = performance.now() + waitMs;
    for (;;) {
      const positions = [...m.positions.values()];
      const remaining = Math.max(0, Math.round(deadline - performance.now()));
      if (positions.length === 0) {
        await new Promise((r) => setTimeout(r, Math.min(remaining, 50)));
        await m.applyPending();
        if (performance.now() >= deadline) return [];
        continue;
      }
      const n = positions.length;
      const start = this.rotate++ % n;
      const ordered = start === 0 ? positions : [...positions.slice(start), ...positions.slice(0, start)];
      const r = check(
        (await m.client.request(
          APIS.fetch,
          {
            waitMs: remaining,
            maxRecords: max,
            maxBytes: 8 * 1024 * 1024,
            isolation: m.settings.isolation,
            group: m.options.group,
            positions: ordered,
          },
          remaining,
        )) as FetchResponseIn,
      );
      if (m.closed) return [];
      // A rebalance learned during the long poll: apply it first, so that records of a partition
      // revoked meanwhile (or restarted elsewhere) are dropped by the position check below.
      await m.applyPending();
      const out: Delivery[] = [];
      for (const p of r.partitions) {
        const k = tpKey(p.topic, p.partition);
        const pos = m.positions.get(k);
        const asked = ordered.find((x) => x.topic === p.topic && x.partition === p.partition);
        if (pos === undefined || asked === undefined || pos.offset !== asked.offset) continue;
        if (p.errorCode !== 0) {
          if (p.errorCode === ERR.OFFSET_OUT_OF_RANGE && asked.offset < p.logStartOffset) {
            m.positions.set(k, { ...pos, offset: p.logStartOffset });
          }
          continue;
        }
        if (p.nextOffset !== pos.offset) m.positions.set(k, { ...pos, offset: p.nextOffset });
        toDeliveries(p.topic, p.partition, p.redeliveredBelow, p.records, out);
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

export class RemotePushConsumer implements PushConsumer {
  readonly delivery = "push" as const;
  private readonly member: RemoteLogMember;
  private subscriptionId = -1;
  /** Pushed chunks waiting for the handler (which runs strictly one call at a time). */
  private readonly waiting: PushRecords[] = [];
  private waitingCount = 0;
  private draining = false;
  /** A new assignment is pending: apply it before the next batch. */
  private changed = false;
  /**
   * push=buffer: deliveries come on a connection of their own, which stops being read while
   * batches wait (TCP backpressure: the broker's bounded buffer then fills and drops). Commits and
   * heartbeats stay on the member's connection, so a handler that commits never waits behind a
   * paused socket. push=credit needs no pausing: the credit window bounds what is in flight.
   */
  private data: ReferenceClient | null = null;

  private constructor(member: RemoteLogMember) {
    this.member = member;
  }

  static async create(
    client: ReferenceClient,
    options: ConsumerOptions,
    settings: ReferenceSettings,
  ): Promise<RemotePushConsumer> {
    const m = new RemoteLogMember(client, options, settings);
    await m.join();
    return new RemotePushConsumer(m);
  }

  /** The server's counters for this subscription (push=buffer drops). */
  async stats() {
    const client = this.data ?? this.member.client;
    return check(await client.request(APIS.subscriptionStats, { subscriptionId: this.subscriptionId }));
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    const m = this.member;
    const s = m.settings;
    const credit = s.push === "credit";
    const prefetch = Math.max(1, m.options.prefetch);
    let data = m.client;
    if (!credit) {
      data = await ReferenceClient.connect(m.client.options);
      this.data = data;
      data.onClose((err) => {
        if (!m.closed) m.failure ??= err;
      });
    }
    const sub = data.subscribePushes((body) => {
      const b = readPush(body);
      if (b.kind === "ended") {
        if (!m.closed) m.failure = new ServerError(b.errorCode, `push subscription ended: ${b.errorMessage}`);
        return;
      }
      if (b.kind !== "records") return;
      this.waiting.push(b);
      this.waitingCount += b.records.length;
      if (!credit && this.waitingCount > PAUSE_AT) data.pauseReading();
      void drain();
    });
    /**
     * Hands waiting chunks to onBatch, one call at a time; chunks that piled up while the handler
     * ran go together in the next call (bigger batches when behind: fewer commits). Rebalances are
     * applied between calls, never during one.
     */
    const drain = async (): Promise<void> => {
      if (this.draining) return;
      this.draining = true;
      try {
        while (!m.closed && (this.waiting.length > 0 || this.changed)) {
          // May bring a new generation (onChange sets `changed`): applied before this batch.
          if (!this.changed) await m.quickHeartbeat();
          if (this.changed) {
            this.changed = false;
            await m.applyPending();
            continue;
          }
          const chunks = this.waiting.splice(0);
          const count = this.waitingCount;
          this.waitingCount = 0;
          if (!credit) data.resumeReading();
          const batch: Delivery[] = [];
          for (const c of chunks) {
            const k = tpKey(c.topic, c.partition);
            const pos = m.positions.get(k);
            if (pos === undefined) continue; // revoked while in flight
            // After a Reassign the server restarts from the positions sent; chunks already on the
            // way may repeat or precede them: hand out only what lies at or past the position.
            const fresh = c.records.filter((r) => r.offset >= pos.offset);
            if (c.nextOffset > pos.offset) m.positions.set(k, { ...pos, offset: c.nextOffset });
            toDeliveries(c.topic, c.partition, c.redeliveredBelow, fresh, batch);
          }
          if (batch.length > 0) {
            try {
              await onBatch(batch);
            } catch {
              // The handler's own failures (e.g. a commit fenced by a rebalance) are the caller's to
              // record; they must not stop delivery (the credit goes back all the same).
            }
          }
          // Credit goes back for everything received, skipped chunks included.
          if (credit && !m.closed && count > 0) {
            void data.request(APIS.credit, { subscriptionId: sub.id, credit: count }).catch(() => {});
          }
        }
      } finally {
        this.draining = false;
      }
    };
    this.subscriptionId = sub.id;
    check(
      await data.request(APIS.subscribe, {
        subscriptionId: sub.id,
        isolation: s.isolation,
        group: m.options.group,
        flow: credit
          ? { kind: "credit", credit: prefetch }
          : { kind: "buffer", capacity: s.pushBuffer, overflow: s.overflow },
        positions: [...m.positions.values()],
      }),
    );
    // Whoever applies a new assignment (this chain, or a commit that met a rebalance), the
    // subscription moves to the new positions right after it was reported. Not awaited: the data
    // connection may be paused, and requests on it keep their order anyway.
    m.onApplied = () => {
      void data
        .request(APIS.reassign, { subscriptionId: sub.id, positions: [...m.positions.values()] })
        .catch(() => {});
    };
    m.onChange = () => {
      this.changed = true;
      void drain();
    };
  }

  commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    return this.member.commit(deliveries);
  }

  async close(): Promise<void> {
    await this.data?.close();
    await this.member.stop(true);
  }

  async kill(): Promise<void> {
    this.data?.destroy();
    await this.member.stop(false);
  }
}
