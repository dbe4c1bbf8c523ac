/**
 * The reference broker: one object owning all state — topics and their partitions (logs from a
 * LogFactory), consumer groups, committed offsets, idempotent producers, transactions, shared
 * (queue) subscriptions. Embedded callers and network connection handlers call the same plain
 * methods with plain data; errors are `BrokerError`s from the table in errors.ts (per-partition
 * fetch errors are data).
 *
 * Everything durable lives in logs: `__cluster` (topics, producer ids, transactions) and
 * `__consumer_offsets` (committed offsets) besides the topics' own partitions, and `open()` rebuilds
 * all state by scanning them. Time comes from an injectable clock; one tick timer drives session
 * timeouts, ack timeouts, transaction timeouts and retention, and `close()` stops it.
 */
import { wallMs } from "../../../core/clock.js";
import type { BatchHeader, RecordInput } from "../storage/partition-log.js";
import { countRecords, type RecordsIn } from "../storage/record-section.js";
import type { Acks } from "./acks.js";
import type { BrokerApi, QueueSubscription } from "./api.js";
import { ASSIGNMENT_STRATEGIES, type AssignmentStrategy, type TopicPartitionRef } from "./assignors.js";
import { BROKER_ERRORS, brokerError } from "./errors.js";
import { type GroupMember, type GroupMode, GroupState } from "./group.js";
import type { LogFactory, LogUse } from "./log-factory.js";
import { type AppendListener, type Isolation, type PartitionFetch, PartitionState } from "./partition.js";
import { partitionForKey } from "./partitioner.js";
import { QueueGroup, type QueueOptions } from "./queue.js";
import {
  CLUSTER_LOG,
  type ClusterRecord,
  decodeClusterRecord,
  decodeOffsetRecord,
  encodeClusterRecord,
  encodeOffsetRecord,
  INTERNAL_TOPICS,
  OFFSETS_LOG,
  type TxnPartitionRef,
  type TxnPhase,
} from "./records.js";
import { type PushFlow, type PushSink, Subscription } from "./subscription.js";

export interface BrokerClock {
  /** Milliseconds; only differences matter (session, ack and transaction timeouts). */
  now(): number;
}

export interface BrokerOptions {
  readonly logs: LogFactory;
  readonly clock?: BrokerClock;
  /** Period of the broker's timer (timeouts, retention); 0 = no timer, the owner calls `tick()`. */
  readonly tickMs?: number;
  /** How often retention runs, in ticks' time (default 1000 ms). */
  readonly retentionCheckMs?: number;
  readonly minSessionTimeoutMs?: number;
  readonly maxSessionTimeoutMs?: number;
  /** Compact `__consumer_offsets` once it holds this many records (default 20,000). */
  readonly offsetsCompactionRecords?: number;
  /** Most partitions one topic may have (default 4096): each is a log to open and keep. */
  readonly maxPartitionsPerTopic?: number;
  /**
   * Every acknowledged produce (acks leader too) and every offset commit waits for the log flush (a
   * server's `--flush always`). Otherwise commits are as durable as data: written at once, fsynced
   * when the flush policy says (a committed offset never more durable than what it points into).
   */
  readonly flushBeforeAck?: boolean;
}

export { ACKS_LEVELS, type Acks } from "./acks.js";

export interface ProduceRequest {
  readonly topic: string;
  readonly partition: number;
  /** Objects, or (from the TCP produce path) a section already encoded and checked. */
  readonly records: RecordsIn;
  /** none: answer without waiting; leader: after the append; flushed: after the log is fsynced. */
  readonly acks?: Acks;
  /** Idempotent producer fields (from `initProducerId`); omit for a plain producer. */
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  /** Part of the producer's open transaction (requires a transactional producer id). */
  readonly transactional?: boolean;
}

export interface ProduceResult {
  readonly baseOffset: number;
  /** The batch was a retry of one already written: `baseOffset` is the original's. */
  readonly duplicate: boolean;
}

export interface FetchPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface FetchRequest {
  readonly partitions: readonly FetchPosition[];
  /** Total records over all partitions (default 10,000). */
  readonly maxRecords?: number;
  /** Per-partition payload bytes, about (default 8 MiB). */
  readonly maxBytes?: number;
  /** Wait up to this long when nothing is available (default 0). */
  readonly waitMs?: number;
  readonly isolation?: Isolation;
  /** The consumer group reading: the broker tracks what it delivered to flag redeliveries. */
  readonly group?: string;
}

export interface FetchResult {
  readonly partitions: readonly PartitionFetch[];
  /** Records over all partitions. */
  readonly count: number;
}

export interface SubscribeRequest {
  readonly partitions: readonly FetchPosition[];
  readonly flow: PushFlow;
  readonly isolation?: Isolation;
  /** The consumer group reading: the broker tracks what it delivered to flag redeliveries. */
  readonly group?: string;
}

export interface JoinGroupRequest {
  readonly group: string;
  /** null on first join; the broker assigns one. */
  readonly memberId: string | null;
  readonly clientId?: string;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs?: number;
  readonly strategy?: AssignmentStrategy;
  /** log (default): partitions owned by one member each; queue: a shared subscription with per-message acks. */
  readonly mode?: GroupMode;
}

export interface MemberState {
  readonly memberId: string;
  readonly generation: number;
  readonly assignment: readonly TopicPartitionRef[];
  /**
   * Per assigned partition (same order): the generation since which this member has owned it
   * without a break. A member that read a partition at generation g may keep its position (and
   * retry a commit fenced as stale) iff ownedSince <= g: nobody else owned it in between.
   */
  readonly ownedSince: readonly number[];
}

export interface MemberRef {
  readonly group: string;
  readonly memberId: string;
  readonly generation: number;
}

export interface CommitRequest {
  readonly group: string;
  /** null with generation -1: a standalone commit, allowed only while the group has no members. */
  readonly memberId: string | null;
  readonly generation: number;
  readonly offsets: readonly FetchPosition[];
}

export interface TopicInfo {
  readonly name: string;
  readonly partitions: number;
}

export interface ProducerIdentity {
  readonly producerId: number;
  readonly producerEpoch: number;
}

interface TopicState {
  readonly name: string;
  readonly partitions: readonly PartitionState[];
  /** Next partition for key-less messages. */
  roundRobin: number;
}

interface TxnState {
  readonly transactionalId: string;
  producerId: number;
  epoch: number;
  phase: TxnPhase;
  readonly partitions: Map<string, TxnPartitionRef>;
  timeoutMs: number;
  /** Clock time the current transaction started (for its timeout); -1 when none is open. */
  startedMs: number;
  /** Offsets committed inside the open transaction, applied when it commits. */
  pendingOffsets: Map<string, Map<string, number>>;
  /** The end (markers) under way, joined by whoever else would end it meanwhile (a fence, a timeout). */
  ending: Promise<void> | null;
}

const DEFAULT_MAX_RECORDS = 10_000;
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
export const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
const DEFAULT_TXN_TIMEOUT_MS = 60_000;
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
/** `__cluster` and `__consumer_offsets` are scanned when the broker opens, never read at their tail. */
const INTERNAL_LOG: LogUse = { tailReads: false };

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

function plainHeader(timestampMs: number): BatchHeader {
  return {
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    transactional: false,
    control: null,
    timestampMs,
  };
}

export class Broker implements BrokerApi {
  private readonly logs: LogFactory;
  private readonly clock: BrokerClock;
  private readonly minSessionTimeoutMs: number;
  private readonly maxSessionTimeoutMs: number;
  private readonly retentionCheckMs: number;
  private readonly flushBeforeAck: boolean;
  private readonly maxPartitionsPerTopic: number;
  private readonly topics = new Map<string, TopicState>();
  private readonly creating = new Set<string>();
  private readonly groups = new Map<string, GroupState>();
  private readonly queues = new Map<string, QueueGroup>();
  /** group → topic NUL partition → committed offset. */
  private readonly offsets = new Map<string, Map<string, number>>();
  /** group → topic NUL partition → one past the highest offset ever delivered to the group (in memory). */
  private readonly deliveredMarks = new Map<string, Map<string, number>>();
  private readonly txns = new Map<string, TxnState>();
  private readonly txnByProducer = new Map<number, TxnState>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly deadLetterTopics = new Map<string, Promise<void>>();
  private readonly waiting = new Set<FetchWaiter>();
  private cluster!: PartitionState;
  private offsetsLog!: PartitionState;
  private nextProducerId = 0;
  /** Physical partition of `__consumer_offsets` in use (each compaction rolls to the next). */
  private offsetsEpoch = 0;
  private rolling: Promise<void> | null = null;
  private readonly offsetsRollRecords: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastRetentionMs = Number.NEGATIVE_INFINITY;
  private closed = false;

  private constructor(options: BrokerOptions) {
    this.logs = options.logs;
    this.clock = options.clock ?? { now: () => performance.now() };
    this.minSessionTimeoutMs = options.minSessionTimeoutMs ?? 10;
    this.maxSessionTimeoutMs = options.maxSessionTimeoutMs ?? 300_000;
    this.retentionCheckMs = options.retentionCheckMs ?? 1000;
    this.flushBeforeAck = options.flushBeforeAck ?? false;
    this.maxPartitionsPerTopic = options.maxPartitionsPerTopic ?? 4096;
    this.offsetsRollRecords = options.offsetsCompactionRecords ?? 20_000;
  }

  /** Opens a broker over the logs, recovering topics, offsets, producers and transactions from them. */
  static async open(options: BrokerOptions): Promise<Broker> {
    const b = new Broker(options);
    await b.recover();
    const tickMs = options.tickMs ?? 100;
    if (tickMs > 0) {
      let last = b.clock.now();
      b.timer = setInterval(() => {
        // A timer far behind means this process did not run (a long synchronous stretch, GC): members
        // could not heartbeat either, so that time does not count against their sessions.
        const now = b.clock.now();
        const stalled = now - last - tickMs;
        last = now;
        if (stalled > 1000) b.forgive(stalled);
        b.tick();
      }, tickMs);
      b.timer.unref();
    }
    return b;
  }

  // ---------------------------------------------------------------- recovery

  private async recover(): Promise<void> {
    this.cluster = new PartitionState(CLUSTER_LOG, 0, await this.logs.open(CLUSTER_LOG, 0, INTERNAL_LOG));
    const topicSizes = new Map<string, number>();
    for (const batch of this.cluster.log.scan()) {
      for (const rec of batch.records) {
        const r = decodeClusterRecord(rec.payload);
        if (r.type === "topic") {
          if (r.deleted) topicSizes.delete(r.name);
          else topicSizes.set(r.name, r.partitions);
        } else if (r.type === "producer-ids") {
          this.nextProducerId = Math.max(this.nextProducerId, r.next);
        } else if (r.type === "offsets-log") {
          this.offsetsEpoch = r.partition;
        } else {
          this.applyTxnRecord(r);
        }
      }
    }
    for (const [name, n] of topicSizes) {
      const partitions: PartitionState[] = [];
      for (let p = 0; p < n; p++) {
        const ps = new PartitionState(name, p, await this.logs.open(name, p));
        ps.recover();
        partitions.push(ps);
      }
      this.topics.set(name, { name, partitions, roundRobin: 0 });
    }
    // Logically partition 0 (transactions refer to it so); physically the current roll.
    this.offsetsLog = new PartitionState(
      OFFSETS_LOG,
      0,
      await this.logs.open(OFFSETS_LOG, this.offsetsEpoch, INTERNAL_LOG),
    );
    this.recoverOffsets();
    // A roll that crashed before `__cluster` named it: its snapshot and later commits supersede.
    const next = await this.logs.open(OFFSETS_LOG, this.offsetsEpoch + 1, INTERNAL_LOG);
    if (next.endOffset > 0) {
      const old = this.offsetsLog;
      this.offsetsLog = new PartitionState(OFFSETS_LOG, 0, next);
      this.recoverOffsets();
      this.offsetsEpoch++;
      await this.appendCluster({ type: "offsets-log", partition: this.offsetsEpoch });
      await old.log.close();
      await this.logs.remove(OFFSETS_LOG, this.offsetsEpoch - 1);
    } else {
      await next.close();
      await this.logs.remove(OFFSETS_LOG, this.offsetsEpoch + 1);
    }
    await this.finishInterruptedTxns();
  }

  private applyTxnRecord(r: Extract<ClusterRecord, { type: "txn" }>): void {
    let t = this.txns.get(r.transactionalId);
    if (t === undefined) {
      t = {
        transactionalId: r.transactionalId,
        producerId: r.producerId,
        epoch: r.epoch,
        phase: r.phase,
        partitions: new Map(),
        timeoutMs: r.timeoutMs,
        startedMs: -1,
        pendingOffsets: new Map(),
        ending: null,
      };
      this.txns.set(r.transactionalId, t);
    }
    t.producerId = r.producerId;
    t.epoch = r.epoch;
    t.phase = r.phase;
    t.timeoutMs = r.timeoutMs;
    t.partitions.clear();
    for (const p of r.partitions) t.partitions.set(tpKey(p.topic, p.partition), p);
    this.txnByProducer.set(r.producerId, t);
    this.nextProducerId = Math.max(this.nextProducerId, r.producerId + 1);
  }

  /** Committed offsets from `__consumer_offsets`; transactional ones only once their commit marker is there. */
  private recoverOffsets(): void {
    const pending = new Map<number, { group: string; topic: string; partition: number; offset: number }[]>();
    this.offsetsLog.recover();
    for (const batch of this.offsetsLog.log.scan()) {
      const h = batch.header;
      if (h.control !== null) {
        const list = pending.get(h.producerId);
        pending.delete(h.producerId);
        if (h.control === "commit" && list !== undefined) {
          for (const r of list) this.setOffset(r.group, r.topic, r.partition, r.offset);
        }
        continue;
      }
      for (const rec of batch.records) {
        const r = decodeOffsetRecord(rec.key, rec.payload);
        if (r === null) continue;
        if (h.transactional) {
          let list = pending.get(h.producerId);
          if (list === undefined) {
            list = [];
            pending.set(h.producerId, list);
          }
          list.push(r);
        } else {
          this.setOffset(r.group, r.topic, r.partition, r.offset);
        }
      }
    }
    // Still-open transactional offset commits: kept pending in their transaction.
    for (const [pid, list] of pending) {
      const t = this.txnByProducer.get(pid);
      if (t === undefined) continue;
      for (const r of list) this.pendingOffset(t, r.group, r.topic, r.partition, r.offset);
    }
  }

  // ---------------------------------------------------------------- topics

  private live(): void {
    if (this.closed) throw brokerError("BROKER_CLOSED");
  }

  async createTopic(name: string, partitions: number): Promise<void> {
    this.live();
    if (!TOPIC_NAME.test(name) || name.startsWith("__")) {
      throw brokerError(
        "INVALID_REQUEST",
        `topic name "${name}": use 1-249 letters, digits, '.', '_' or '-', not starting with "__"`,
      );
    }
    if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > this.maxPartitionsPerTopic) {
      throw brokerError(
        "INVALID_PARTITIONS",
        `topic "${name}": ${partitions} partitions; use 1 to ${this.maxPartitionsPerTopic}`,
      );
    }
    if (this.topics.has(name) || this.creating.has(name)) {
      throw brokerError("TOPIC_ALREADY_EXISTS", `topic "${name}" already exists`);
    }
    this.creating.add(name);
    try {
      const states: PartitionState[] = [];
      for (let p = 0; p < partitions; p++) {
        states.push(new PartitionState(name, p, await this.logs.open(name, p)));
      }
      await this.appendCluster({ type: "topic", name, partitions, deleted: false });
      this.topics.set(name, { name, partitions: states, roundRobin: 0 });
    } finally {
      this.creating.delete(name);
    }
    this.topicsChanged(name);
  }

  async deleteTopic(name: string): Promise<void> {
    this.live();
    const t = this.topics.get(name);
    if (t === undefined) throw brokerError("UNKNOWN_TOPIC_OR_PARTITION", `topic "${name}" does not exist`);
    this.topics.delete(name);
    // Committed offsets and delivered marks of the topic go with it (a topic of the same name
    // created later starts fresh): tombstones (offset -1) in __consumer_offsets.
    const tombstones: RecordInput[] = [];
    for (const [group, m] of this.offsets) {
      for (const k of [...m.keys()]) {
        const [topic, partition] = k.split("\u0000");
        if (topic !== name) continue;
        m.delete(k);
        tombstones.push(encodeOffsetRecord({ group, topic, partition: Number(partition), offset: -1 }));
      }
    }
    for (const marks of this.deliveredMarks.values()) {
      for (const k of [...marks.keys()]) if (k.startsWith(`${name}\u0000`)) marks.delete(k);
    }
    for (const q of this.queues.values()) q.topicDeleted(name);
    if (tombstones.length > 0) this.offsetsLog.log.append(plainHeader(wallMs()), tombstones);
    await this.appendCluster({ type: "topic", name, partitions: t.partitions.length, deleted: true });
    for (const p of t.partitions) {
      await p.log.close();
      await this.logs.remove(name, p.partition);
    }
    this.topicsChanged(name);
  }

  topicExists(name: string): boolean {
    return this.topics.has(name);
  }

  listTopics(): readonly TopicInfo[] {
    return [...this.topics.values()].map((t) => ({ name: t.name, partitions: t.partitions.length }));
  }

  partitionCount(topic: string): number {
    return this.topic(topic).partitions.length;
  }

  /** Keyed: murmur2 as Kafka; key-less: round-robin over the partitions. */
  partitionFor(topic: string, key: string | null): number {
    const t = this.topic(topic);
    const n = t.partitions.length;
    if (key !== null) return partitionForKey(key, n);
    const p = t.roundRobin % n;
    t.roundRobin = (t.roundRobin + 1) % n;
    return p;
  }

  private topic(name: string): TopicState {
    const t = this.topics.get(name);
    if (t === undefined) throw brokerError("UNKNOWN_TOPIC_OR_PARTITION", `topic "${name}" does not exist`);
    return t;
  }

  private partitionState(topic: string, partition: number): PartitionState {
    const p = this.topic(topic).partitions[partition];
    if (p === undefined) {
      throw brokerError("UNKNOWN_TOPIC_OR_PARTITION", `topic "${topic}" has no partition ${partition}`);
    }
    return p;
  }

  private partitionCounts(): Map<string, number> {
    const m = new Map<string, number>();
    for (const t of this.topics.values()) m.set(t.name, t.partitions.length);
    return m;
  }

  private topicsChanged(topic: string): void {
    const counts = this.partitionCounts();
    for (const g of this.groups.values()) {
      if (g.members.size > 0 && g.subscribes(topic)) this.rebalance(g, counts);
    }
  }

  private async appendCluster(r: ClusterRecord): Promise<void> {
    this.cluster.log.append(plainHeader(wallMs()), [encodeClusterRecord(r)]);
    await this.cluster.log.flush();
  }

  // ---------------------------------------------------------------- produce

  /**
   * Appends one batch to one partition now (no waiting for durability): the embedded fast path.
   * Validates idempotent sequences (a retry returns the original offset) and transactions.
   */
  append(req: ProduceRequest): ProduceResult {
    this.live();
    const p = this.partitionState(req.topic, req.partition);
    const records = req.records;
    const count = countRecords(records);
    if (count === 0) throw brokerError("INVALID_REQUEST", "a produce batch needs at least one record");
    const producerId = req.producerId ?? -1;
    const epoch = req.producerEpoch ?? -1;
    const baseSequence = req.baseSequence ?? -1;
    const transactional = req.transactional ?? false;
    if (producerId >= 0) {
      this.checkProducerEpoch(producerId, epoch);
      if (baseSequence >= 0) {
        const seen = p.producers.check(producerId, epoch, baseSequence, count);
        if (seen !== null) return { baseOffset: seen.duplicateOf, duplicate: true };
      }
    }
    if (transactional) this.addToTxn(producerId, epoch, p);
    const header: BatchHeader =
      producerId < 0 && !transactional
        ? plainHeader(wallMs())
        : {
            producerId,
            producerEpoch: epoch,
            baseSequence,
            transactional,
            control: null,
            timestampMs: wallMs(),
          };
    const baseOffset = p.log.append(header, records);
    p.observe(baseOffset, header, count);
    p.notify();
    return { baseOffset, duplicate: false };
  }

  /**
   * `append`, then waits as the acks level asks (flushed: until the log is durable). Answers at once
   * (no promise) when there is nothing to wait for; a refusal is thrown at once.
   */
  produce(req: ProduceRequest): ProduceResult | Promise<ProduceResult> {
    const r = this.append(req);
    const acks = req.acks ?? "leader";
    if (acks === "flushed" || (acks === "leader" && this.flushBeforeAck))
      return this.partitionState(req.topic, req.partition)
        .log.flush()
        .then(() => r);
    return r;
  }

  /** Makes everything appended to the partition so far durable. */
  flush(topic: string, partition: number): Promise<void> {
    this.live();
    return this.partitionState(topic, partition).log.flush();
  }

  /** Allocates a producer id (idempotent producer), or fences and returns the next epoch of a transactional id. */
  async initProducerId(req: {
    readonly transactionalId?: string | null;
    readonly transactionTimeoutMs?: number;
  }): Promise<ProducerIdentity> {
    this.live();
    const tid = req.transactionalId ?? null;
    if (tid === null) {
      const producerId = this.nextProducerId++;
      await this.appendCluster({ type: "producer-ids", next: this.nextProducerId });
      return { producerId, producerEpoch: 0 };
    }
    const timeoutMs = req.transactionTimeoutMs ?? DEFAULT_TXN_TIMEOUT_MS;
    let t = this.txns.get(tid);
    let allocated = false;
    if (t === undefined) {
      const producerId = this.nextProducerId++;
      t = {
        transactionalId: tid,
        producerId,
        epoch: 0,
        phase: "empty",
        partitions: new Map(),
        timeoutMs,
        startedMs: -1,
        pendingOffsets: new Map(),
        ending: null,
      };
      this.txns.set(tid, t);
      this.txnByProducer.set(producerId, t);
      allocated = true;
    } else {
      // A new instance fences the old one at once (before any await, so the old one cannot slip a
      // batch in).
      t.epoch++;
    }
    // This instance's epoch, taken before any await: an init arriving meanwhile fences this one in
    // turn and must not hand out the same epoch (two instances writing into one transaction).
    const epoch = t.epoch;
    if (allocated) await this.appendCluster({ type: "producer-ids", next: this.nextProducerId });
    // The old instance's open transaction is aborted, a prepared commit completed.
    if (t.phase === "ongoing" || t.phase === "prepare-abort" || t.phase === "prepare-commit") {
      await this.finishTxn(t, t.phase === "prepare-commit");
    }
    if (t.epoch === epoch) {
      // Still the newest instance (otherwise the newer init resets the state itself).
      t.timeoutMs = timeoutMs;
      t.phase = "empty";
      t.partitions.clear();
      t.pendingOffsets.clear();
      t.startedMs = -1;
      await this.appendCluster(this.txnRecord(t));
    }
    return { producerId: t.producerId, producerEpoch: epoch };
  }

  private checkProducerEpoch(producerId: number, epoch: number): void {
    const t = this.txnByProducer.get(producerId);
    if (t !== undefined && epoch !== t.epoch) {
      throw brokerError(
        epoch < t.epoch ? "INVALID_PRODUCER_EPOCH" : "INVALID_PRODUCER_ID_MAPPING",
        `producer ${producerId} epoch ${epoch}, current epoch ${t.epoch} (transactional id "${t.transactionalId}")`,
      );
    }
  }

  // ---------------------------------------------------------------- transactions

  private txnOf(producerId: number, epoch: number): TxnState {
    const t = this.txnByProducer.get(producerId);
    if (t === undefined) {
      throw brokerError("INVALID_PRODUCER_ID_MAPPING", `producer ${producerId} is not transactional`);
    }
    if (epoch !== t.epoch) {
      throw brokerError(
        "INVALID_PRODUCER_EPOCH",
        `producer ${producerId} epoch ${epoch} is fenced by ${t.epoch}`,
      );
    }
    return t;
  }

  private txnRecord(t: TxnState): ClusterRecord {
    return {
      type: "txn",
      transactionalId: t.transactionalId,
      producerId: t.producerId,
      epoch: t.epoch,
      phase: t.phase,
      partitions: [...t.partitions.values()],
      timeoutMs: t.timeoutMs,
    };
  }

  private beginIfNeeded(t: TxnState): void {
    if (t.phase === "prepare-commit" || t.phase === "prepare-abort") {
      throw brokerError("INVALID_TXN_STATE", `transaction "${t.transactionalId}" is completing`);
    }
    if (t.phase !== "ongoing") {
      t.phase = "ongoing";
      t.partitions.clear();
      t.pendingOffsets.clear();
      t.startedMs = this.clock.now();
    }
  }

  /** Registers a partition in the producer's transaction (Kafka's AddPartitionsToTxn, implicit here). */
  private addToTxn(producerId: number, epoch: number, p: PartitionState): void {
    const t = this.txnOf(producerId, epoch);
    this.beginIfNeeded(t);
    const key = tpKey(p.topic, p.partition);
    if (!t.partitions.has(key)) {
      t.partitions.set(key, { topic: p.topic, partition: p.partition });
      // Durable before the data, so recovery knows where markers go.
      this.cluster.log.append(plainHeader(wallMs()), [encodeClusterRecord(this.txnRecord(t))]);
    }
  }

  private pendingOffset(t: TxnState, group: string, topic: string, partition: number, offset: number): void {
    let m = t.pendingOffsets.get(group);
    if (m === undefined) {
      m = new Map();
      t.pendingOffsets.set(group, m);
    }
    m.set(tpKey(topic, partition), offset);
  }

  /**
   * Commits a consumer's offsets inside the producer's transaction (Kafka's TxnOffsetCommit): they
   * take effect only if the transaction commits. Fenced by the group generation like any commit.
   */
  async commitTxnOffsets(req: {
    readonly producerId: number;
    readonly producerEpoch: number;
    readonly commit: CommitRequest;
  }): Promise<void> {
    this.live();
    // Transactional offsets must land in the log their markers will go to: not during a roll.
    if (this.rolling !== null) await this.rolling;
    const t = this.txnOf(req.producerId, req.producerEpoch);
    const c = req.commit;
    this.checkCommitter(c.group, c.memberId, c.generation);
    this.beginIfNeeded(t);
    const key = tpKey(OFFSETS_LOG, 0);
    if (!t.partitions.has(key)) {
      t.partitions.set(key, { topic: OFFSETS_LOG, partition: 0 });
      await this.appendCluster(this.txnRecord(t));
    }
    const header: BatchHeader = {
      producerId: t.producerId,
      producerEpoch: t.epoch,
      baseSequence: -1,
      transactional: true,
      control: null,
      timestampMs: wallMs(),
    };
    const records = c.offsets.map((o) =>
      encodeOffsetRecord({ group: c.group, topic: o.topic, partition: o.partition, offset: o.offset }),
    );
    if (records.length === 0) return;
    const base = this.offsetsLog.log.append(header, records);
    this.offsetsLog.observe(base, header, records.length);
    for (const o of c.offsets) this.pendingOffset(t, c.group, o.topic, o.partition, o.offset);
  }

  /**
   * Ends the producer's transaction: commit makes its messages visible to read-committed readers and
   * its offset commits effective, atomically; abort discards both. Two-phase through `__cluster`
   * (prepare, markers, complete) so a crash between markers is finished on recovery.
   */
  async endTransaction(req: {
    readonly producerId: number;
    readonly producerEpoch: number;
    readonly commit: boolean;
  }): Promise<void> {
    this.live();
    const t = this.txnOf(req.producerId, req.producerEpoch);
    if (t.phase !== "ongoing") {
      if (t.phase === "empty" || t.phase === "complete-commit" || t.phase === "complete-abort") {
        // Nothing written since the last end: a no-op, as Kafka's client does for an empty transaction.
        return;
      }
      throw brokerError("INVALID_TXN_STATE", `transaction "${t.transactionalId}" is ${t.phase}`);
    }
    await this.finishTxn(t, req.commit);
  }

  /** Ends t's transaction, or joins the end already under way (one set of markers, one outcome). */
  private finishTxn(t: TxnState, commit: boolean): Promise<void> {
    t.ending ??= this.endTxnInternal(t, commit).finally(() => {
      t.ending = null;
    });
    return t.ending;
  }

  private async endTxnInternal(t: TxnState, commit: boolean): Promise<void> {
    t.phase = commit ? "prepare-commit" : "prepare-abort";
    await this.appendCluster(this.txnRecord(t));
    await this.writeMarkers(t, commit);
    t.phase = commit ? "complete-commit" : "complete-abort";
    t.startedMs = -1;
    await this.appendCluster(this.txnRecord(t));
    if (!this.closed) this.maybeCompactOffsets();
  }

  private async writeMarkers(t: TxnState, commit: boolean): Promise<void> {
    const header: BatchHeader = {
      producerId: t.producerId,
      producerEpoch: t.epoch,
      baseSequence: -1,
      transactional: true,
      control: commit ? "commit" : "abort",
      timestampMs: wallMs(),
    };
    const touched: PartitionState[] = [];
    for (const ref of t.partitions.values()) {
      const p =
        ref.topic === OFFSETS_LOG ? this.offsetsLog : this.topics.get(ref.topic)?.partitions[ref.partition];
      if (p === undefined || !p.openTxns.has(t.producerId)) continue;
      const base = p.log.append(header, []);
      p.observe(base, header, 0);
      touched.push(p);
    }
    if (commit) {
      for (const [group, m] of t.pendingOffsets) {
        for (const [k, offset] of m) {
          const [topic, partition] = k.split("\u0000");
          this.setOffset(group, topic!, Number(partition), offset);
        }
      }
    }
    t.pendingOffsets.clear();
    await Promise.all(touched.map((p) => p.log.flush()));
    for (const p of touched) p.notify();
  }

  /** After a crash: prepared transactions get their markers; open ones stay open until their timeout. */
  private async finishInterruptedTxns(): Promise<void> {
    // Data of a transaction whose partition registration did not reach `__cluster` before a crash:
    // register it with its transaction if that is still open, else abort it on that partition.
    const all = [this.offsetsLog];
    for (const t of this.topics.values()) all.push(...t.partitions);
    const orphans: PartitionState[] = [];
    for (const p of all) {
      for (const pid of p.openTxns.keys()) {
        const t = this.txnByProducer.get(pid);
        const key = tpKey(p.topic, p.partition);
        if (t !== undefined && (t.phase === "ongoing" || t.phase.startsWith("prepare"))) {
          if (!t.partitions.has(key)) t.partitions.set(key, { topic: p.topic, partition: p.partition });
        } else {
          orphans.push(p);
        }
      }
    }
    for (const p of orphans) {
      for (const pid of [...p.openTxns.keys()]) {
        if (this.txnByProducer.get(pid)?.phase === "ongoing") continue;
        const header: BatchHeader = {
          producerId: pid,
          producerEpoch: p.producers.epochOf(pid) ?? 0,
          baseSequence: -1,
          transactional: true,
          control: "abort",
          timestampMs: wallMs(),
        };
        p.observe(p.log.append(header, []), header, 0);
      }
      await p.log.flush();
    }
    for (const t of this.txns.values()) {
      if (t.phase === "prepare-commit" || t.phase === "prepare-abort") {
        await this.finishTxn(t, t.phase === "prepare-commit");
      } else if (t.phase === "ongoing") {
        t.startedMs = this.clock.now();
      }
    }
  }

  // ---------------------------------------------------------------- fetch

  /** Earliest retained offset, or the end of the log (latest). */
  listOffset(topic: string, partition: number, which: "earliest" | "latest"): number {
    this.live();
    const p = this.partitionState(topic, partition);
    return which === "earliest" ? p.log.startOffset : p.log.endOffset;
  }

  /** Reads what is available now from each partition (no waiting). */
  fetchNow(req: FetchRequest): FetchResult {
    this.live();
    let budget = req.maxRecords ?? DEFAULT_MAX_RECORDS;
    const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
    const isolation = req.isolation ?? "read_uncommitted";
    const out: PartitionFetch[] = [];
    let count = 0;
    for (const pos of req.partitions) {
      const p = this.topics.get(pos.topic)?.partitions[pos.partition];
      if (p === undefined) {
        out.push(unknownPartition(pos));
        continue;
      }
      const r = p.read(pos.offset, budget, maxBytes, isolation);
      out.push(req.group === undefined ? r : this.markDelivered(req.group, r));
      count += r.count;
      budget -= r.count;
    }
    return { partitions: out, count };
  }

  /** Reads from each partition; when nothing is available, waits up to `waitMs` for an append. */
  fetch(req: FetchRequest): Promise<FetchResult> {
    const now = this.fetchNow(req);
    const waitMs = req.waitMs ?? 0;
    if (now.count > 0 || waitMs <= 0 || settled(now)) return Promise.resolve(now);
    return new Promise((resolve) => {
      const parts: PartitionState[] = [];
      for (const pos of req.partitions) {
        const p = this.topics.get(pos.topic)?.partitions[pos.partition];
        if (p !== undefined) parts.push(p);
      }
      const w = new FetchWaiter(this, req, parts, resolve);
      this.waiting.add(w);
      w.start(waitMs);
    });
  }

  /** Flags what the group was given before (redelivered) and raises its delivered mark. */
  private markDelivered(group: string, r: PartitionFetch): PartitionFetch {
    if (r.count === 0) return r;
    let marks = this.deliveredMarks.get(group);
    if (marks === undefined) {
      marks = new Map();
      this.deliveredMarks.set(group, marks);
    }
    const k = tpKey(r.topic, r.partition);
    const below = marks.get(k) ?? 0;
    if (r.nextOffset > below) marks.set(k, r.nextOffset);
    return below > r.fromOffset ? { ...r, redeliveredBelow: below } : r;
  }

  /** @internal FetchWaiter's way back in. */
  finishedWaiting(w: FetchWaiter): void {
    this.waiting.delete(w);
  }

  // ---------------------------------------------------------------- push

  /** Starts pushing records of the partitions from the given offsets to `sink`. */
  subscribe(req: SubscribeRequest, sink: PushSink): Subscription {
    this.live();
    validateFlow(req.flow);
    const positions = req.partitions.map((pos) => ({
      partition: this.partitionState(pos.topic, pos.partition),
      offset: pos.offset,
    }));
    const group = req.group;
    const s = new Subscription(
      positions,
      req.flow,
      req.isolation ?? "read_uncommitted",
      sink,
      (x) => this.subscriptions.delete(x),
      group === undefined ? null : (r) => this.markDelivered(group, r),
      (pos) => ({ partition: this.partitionState(pos.topic, pos.partition), offset: pos.offset }),
    );
    this.subscriptions.add(s);
    return s;
  }

  /** Moves a subscription to new partitions/offsets (after a rebalance or a seek). */
  reassign(s: Subscription, partitions: readonly FetchPosition[]): void {
    s.reassign(partitions);
  }

  // ---------------------------------------------------------------- groups

  joinGroup(req: JoinGroupRequest): MemberState {
    this.live();
    const timeout = req.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    if (timeout < this.minSessionTimeoutMs || timeout > this.maxSessionTimeoutMs) {
      throw brokerError(
        "INVALID_SESSION_TIMEOUT",
        `session timeout ${timeout} ms is outside [${this.minSessionTimeoutMs}, ${this.maxSessionTimeoutMs}]`,
      );
    }
    const strategy = req.strategy ?? "range";
    if (!ASSIGNMENT_STRATEGIES.includes(strategy)) {
      throw brokerError(
        "INVALID_REQUEST",
        `assignment strategy "${strategy}": use ${ASSIGNMENT_STRATEGIES.join(" or ")}`,
      );
    }
    const mode = req.mode ?? "log";
    let g = this.groups.get(req.group);
    if (g === undefined) {
      g = new GroupState(req.group);
      this.groups.set(req.group, g);
    }
    if (g.members.size === 0) {
      g.strategy = strategy;
      g.mode = mode;
    } else if (g.strategy !== strategy || g.mode !== mode) {
      throw brokerError(
        "INCONSISTENT_GROUP_PROTOCOL",
        `group "${g.id}" uses ${g.mode} mode with ${g.strategy} assignment; this member asked for ${mode} with ${strategy}`,
      );
    }
    const now = this.clock.now();
    if (req.memberId !== null) {
      const m = g.members.get(req.memberId);
      if (m === undefined) {
        throw brokerError(
          "UNKNOWN_MEMBER_ID",
          `member "${req.memberId}" is not in group "${g.id}"; join with no id`,
        );
      }
      m.deadlineMs = now + m.sessionTimeoutMs;
      if (!sameTopics(m.topics, req.topics)) {
        m.topics = [...req.topics];
        this.rebalance(g, this.partitionCounts());
      }
      return memberState(g, m);
    }
    const id = g.newMemberId(req.clientId ?? "member");
    g.members.set(id, {
      id,
      clientId: req.clientId ?? "",
      topics: [...req.topics],
      sessionTimeoutMs: timeout,
      deadlineMs: now + timeout,
      assignment: [],
      ownedSince: [],
    });
    this.rebalance(g, this.partitionCounts());
    return memberState(g, g.members.get(id)!);
  }

  /** Keeps the member alive and tells it the current generation and its assignment. */
  heartbeat(req: { readonly group: string; readonly memberId: string }): MemberState {
    this.live();
    const g = this.groups.get(req.group);
    const m = g?.members.get(req.memberId);
    if (g === undefined || m === undefined) {
      throw brokerError(
        "UNKNOWN_MEMBER_ID",
        `member "${req.memberId}" is not in group "${req.group}"; rejoin`,
      );
    }
    m.deadlineMs = this.clock.now() + m.sessionTimeoutMs;
    return memberState(g, m);
  }

  leaveGroup(req: { readonly group: string; readonly memberId: string }): void {
    this.live();
    const g = this.groups.get(req.group);
    if (g === undefined || !g.members.has(req.memberId)) return;
    this.removeMember(g, req.memberId);
  }

  /** The members of a group and their assignments (observability, tests). */
  describeGroup(group: string): {
    generation: number;
    mode: GroupMode | null;
    members: readonly MemberState[];
  } {
    const g = this.groups.get(group);
    if (g === undefined) return { generation: 0, mode: null, members: [] };
    return {
      generation: g.generation,
      mode: g.mode,
      members: [...g.members.values()].map((m) => memberState(g, m)),
    };
  }

  private removeMember(g: GroupState, memberId: string): void {
    g.members.delete(memberId);
    this.queues.get(g.id)?.memberGone(memberId);
    this.rebalance(g, this.partitionCounts());
  }

  private rebalance(g: GroupState, counts: Map<string, number>): void {
    g.rebalance(counts);
    if (g.mode === "queue") this.queues.get(g.id)?.membersChanged(g);
  }

  private checkCommitter(group: string, memberId: string | null, generation: number): void {
    const g = this.groups.get(group);
    if (memberId === null) {
      if (g !== undefined && g.members.size > 0) {
        throw brokerError(
          "UNKNOWN_MEMBER_ID",
          `group "${group}" has members: a commit must name a member and its generation`,
        );
      }
      return;
    }
    const m = g?.members.get(memberId);
    if (g === undefined || m === undefined) {
      throw brokerError("UNKNOWN_MEMBER_ID", `member "${memberId}" is not in group "${group}"; rejoin`);
    }
    if (generation !== g.generation) {
      throw brokerError(
        "ILLEGAL_GENERATION",
        `member "${memberId}" commits with generation ${generation}; group "${group}" is at ${g.generation}`,
      );
    }
    m.deadlineMs = this.clock.now() + m.sessionTimeoutMs;
  }

  /** Commits offsets (next offset to read), fsynced first under flushBeforeAck; rejected for a stale generation. */
  async commitOffsets(req: CommitRequest): Promise<void> {
    this.live();
    this.checkCommitter(req.group, req.memberId, req.generation);
    if (req.offsets.length === 0) return;
    const records = req.offsets.map((o) =>
      encodeOffsetRecord({ group: req.group, topic: o.topic, partition: o.partition, offset: o.offset }),
    );
    const log = this.offsetsLog.log;
    log.append(plainHeader(wallMs()), records);
    for (const o of req.offsets) this.setOffset(req.group, o.topic, o.partition, o.offset);
    this.maybeCompactOffsets();
    if (this.flushBeforeAck) await log.flush();
  }

  private offsetsInTxn(): boolean {
    const key = tpKey(OFFSETS_LOG, 0);
    for (const t of this.txns.values()) {
      if ((t.phase === "ongoing" || t.phase.startsWith("prepare")) && t.partitions.has(key)) return true;
    }
    return false;
  }

  /** Starts a compaction of `__consumer_offsets` when it grew past the limit and no transaction uses it. */
  private maybeCompactOffsets(): void {
    const log = this.offsetsLog.log;
    if (this.rolling !== null || log.endOffset - log.startOffset < this.offsetsRollRecords) return;
    if (this.offsetsInTxn()) return;
    this.rolling = this.rollOffsets()
      .catch(() => undefined)
      .finally(() => {
        this.rolling = null;
      });
  }

  /**
   * Compaction by rolling: a snapshot of every committed offset goes to the next physical partition,
   * which takes over; `__cluster` names it; the old one is removed. A crash before `__cluster` names
   * it is finished on open (the new partition supersedes when it holds anything).
   */
  private async rollOffsets(): Promise<void> {
    const next = this.offsetsEpoch + 1;
    const log = await this.logs.open(OFFSETS_LOG, next, INTERNAL_LOG);
    if (this.closed || this.offsetsInTxn()) {
      await log.close();
      await this.logs.remove(OFFSETS_LOG, next);
      return;
    }
    const snapshot: RecordInput[] = [];
    for (const [group, m] of this.offsets) {
      for (const [k, offset] of m) {
        const [topic, partition] = k.split("\u0000");
        snapshot.push(encodeOffsetRecord({ group, topic: topic!, partition: Number(partition), offset }));
      }
    }
    const ts = wallMs();
    for (let i = 0; i < snapshot.length; i += 10_000)
      log.append(plainHeader(ts), snapshot.slice(i, i + 10_000));
    const old = this.offsetsLog;
    this.offsetsLog = new PartitionState(OFFSETS_LOG, 0, log);
    this.offsetsEpoch = next;
    await log.flush();
    await this.appendCluster({ type: "offsets-log", partition: next });
    await old.log.close();
    await this.logs.remove(OFFSETS_LOG, next - 1);
  }

  /** Committed offsets of a group: for the given partitions (null when none), or all. */
  committedOffsets(
    group: string,
    partitions?: readonly TopicPartitionRef[],
  ): readonly (TopicPartitionRef & { readonly offset: number | null })[] {
    const m = this.offsets.get(group);
    if (partitions !== undefined) {
      return partitions.map((p) => ({ ...p, offset: m?.get(tpKey(p.topic, p.partition)) ?? null }));
    }
    if (m === undefined) return [];
    return [...m].map(([k, offset]) => {
      const [topic, partition] = k.split("\u0000");
      return { topic: topic!, partition: Number(partition), offset };
    });
  }

  private setOffset(group: string, topic: string, partition: number, offset: number): void {
    if (offset < 0) {
      this.offsets.get(group)?.delete(tpKey(topic, partition));
      return;
    }
    let m = this.offsets.get(group);
    if (m === undefined) {
      m = new Map();
      this.offsets.set(group, m);
    }
    m.set(tpKey(topic, partition), offset);
  }

  // ---------------------------------------------------------------- queue mode

  /**
   * Shared subscription (queue mode) of a member that joined with `mode: "queue"`: the broker
   * pushes each message to one member, tracks it until acked, and redelivers on nack, ack timeout
   * or member death; after `maxDeliveries` it moves the message to the dead-letter topic.
   */
  queueSubscribe(
    member: MemberRef,
    options: QueueOptions,
    sink: import("./queue.js").QueueSink,
  ): QueueSubscription {
    this.live();
    const g = this.groups.get(member.group);
    const m = g?.members.get(member.memberId);
    if (g === undefined || m === undefined) {
      throw brokerError("UNKNOWN_MEMBER_ID", `member "${member.memberId}" is not in group "${member.group}"`);
    }
    if (g.mode !== "queue") {
      throw brokerError("INCONSISTENT_GROUP_PROTOCOL", `group "${g.id}" is not a queue-mode group`);
    }
    let q = this.queues.get(g.id);
    if (q === undefined) {
      q = new QueueGroup(g.id, this.queueHost(), options);
      this.queues.set(g.id, q);
    }
    // Closing stops deliveries to this sink; what it holds comes back by ack timeout or its leaving.
    let active = true;
    q.attach(m.id, { deliver: (messages) => (active ? sink.deliver(messages) : undefined) }, options);
    q.membersChanged(g);
    return {
      close: () => {
        active = false;
      },
    };
  }

  /** Acknowledges (processed) or negatively acknowledges (redeliver) messages in flight to the member. */
  async queueSettle(req: {
    readonly group: string;
    readonly memberId: string;
    readonly acks: readonly FetchPosition[];
    readonly nacks?: readonly FetchPosition[];
  }): Promise<void> {
    this.live();
    const q = this.queues.get(req.group);
    if (q === undefined)
      throw brokerError("UNKNOWN_DELIVERY", `group "${req.group}" has no queue subscription`);
    await q.settle(req.memberId, req.acks, req.nacks ?? []);
  }

  /** Grants a queue member more in-flight room. */
  queueGrant(group: string, memberId: string, n: number): void {
    this.queues.get(group)?.grant(memberId, n);
  }

  queueStats(group: string): import("./queue.js").QueueStats | null {
    return this.queues.get(group)?.stats() ?? null;
  }

  private queueHost(): import("./queue.js").QueueHost {
    return {
      partition: (topic, partition) => this.topics.get(topic)?.partitions[partition],
      committed: (group, topic, partition) => this.offsets.get(group)?.get(tpKey(topic, partition)) ?? null,
      commit: (group, topic, partition, offset) => {
        this.offsetsLog.log.append(plainHeader(wallMs()), [
          encodeOffsetRecord({ group, topic, partition, offset }),
        ]);
        this.setOffset(group, topic, partition, offset);
        const log = this.offsetsLog.log;
        this.maybeCompactOffsets();
        return this.flushBeforeAck ? log.flush() : Promise.resolve();
      },
      deadLetter: async (topic, records) => {
        if (!this.topics.has(topic)) {
          // Several messages may die at once: one creation, the others wait for it.
          let creating = this.deadLetterTopics.get(topic);
          if (creating === undefined) {
            creating = this.createTopic(topic, 1).finally(() => this.deadLetterTopics.delete(topic));
            this.deadLetterTopics.set(topic, creating);
          }
          await creating;
        }
        this.append({ topic, partition: 0, records });
      },
      now: () => this.clock.now(),
    };
  }

  // ---------------------------------------------------------------- time

  /** Expires members, in-flight queue messages and transactions past their deadlines; runs retention. */
  /** Extends every session and ack deadline by `ms` (time the broker's process was stalled). */
  private forgive(ms: number): void {
    for (const g of this.groups.values()) for (const m of g.members.values()) m.deadlineMs += ms;
    for (const q of this.queues.values()) q.extendDeadlines(ms);
  }

  tick(): void {
    if (this.closed) return;
    const now = this.clock.now();
    for (const g of this.groups.values()) {
      for (const m of [...g.members.values()]) {
        if (m.deadlineMs < now) this.removeMember(g, m.id);
      }
    }
    for (const q of this.queues.values()) q.tick(now);
    for (const t of this.txns.values()) {
      if (t.phase === "ongoing" && t.startedMs >= 0 && now - t.startedMs > t.timeoutMs) {
        t.startedMs = -1;
        // Timed out: the producer is fenced at once (its next request fails with a stale epoch), then aborted.
        t.epoch++;
        void this.finishTxn(t, false).catch(() => undefined);
      }
    }
    if (now - this.lastRetentionMs >= this.retentionCheckMs) {
      this.lastRetentionMs = now;
      const wall = wallMs();
      for (const t of this.topics.values()) for (const p of t.partitions) p.log.enforceRetention(wall);
    }
  }

  /** Stops the timer, ends subscriptions and waiting fetches, closes every log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const s of [...this.subscriptions]) s.end(BROKER_ERRORS.BROKER_CLOSED);
    for (const w of [...this.waiting]) w.cancel();
    for (const q of this.queues.values()) q.close();
    if (this.rolling !== null) await this.rolling;
    for (const t of this.topics.values()) for (const p of t.partitions) await p.log.close();
    await this.cluster.log.close();
    await this.offsetsLog.log.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

function memberState(g: GroupState, m: GroupMember): MemberState {
  return { memberId: m.id, generation: g.generation, assignment: m.assignment, ownedSince: m.ownedSince };
}

function unknownPartition(pos: FetchPosition): PartitionFetch {
  return {
    topic: pos.topic,
    partition: pos.partition,
    batches: [],
    fromOffset: pos.offset,
    nextOffset: pos.offset,
    count: 0,
    error: BROKER_ERRORS.UNKNOWN_TOPIC_OR_PARTITION,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
  };
}

/** An answer that must go back at once even when empty: an error, or a position that moved. */
function settled(r: FetchResult): boolean {
  for (const p of r.partitions) if (p.error !== null || p.nextOffset !== p.fromOffset) return true;
  return false;
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t) => b.includes(t));
}

function validateFlow(flow: PushFlow): void {
  if (flow.kind === "credit") {
    if (!Number.isSafeInteger(flow.credit) || flow.credit < 0) {
      throw brokerError("INVALID_REQUEST", `push credit must be a non-negative integer, got ${flow.credit}`);
    }
  } else if (!Number.isSafeInteger(flow.capacity) || flow.capacity < 1) {
    throw brokerError(
      "INVALID_REQUEST",
      `push buffer capacity must be a positive integer, got ${flow.capacity}`,
    );
  }
}

/** A long-poll fetch parked on its partitions' listener lists until data arrives or its time is up. */
class FetchWaiter implements AppendListener {
  private readonly broker: Broker;
  private readonly req: FetchRequest;
  private readonly parts: readonly PartitionState[];
  private readonly resolve: (r: FetchResult) => void;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private done = false;

  constructor(
    broker: Broker,
    req: FetchRequest,
    parts: readonly PartitionState[],
    resolve: (r: FetchResult) => void,
  ) {
    this.broker = broker;
    this.req = req;
    this.parts = parts;
    this.resolve = resolve;
  }

  start(waitMs: number): void {
    for (const p of this.parts) p.listeners.add(this);
    this.timer = setTimeout(() => this.finish(this.read()), waitMs);
  }

  onAppend(_p: PartitionState): void {
    const r = this.read();
    if (r.count > 0 || settled(r)) this.finish(r);
  }

  cancel(): void {
    this.finish({
      partitions: this.req.partitions.map((pos) => ({
        ...unknownPartition(pos),
        error: BROKER_ERRORS.BROKER_CLOSED,
      })),
      count: 0,
    });
  }

  private read(): FetchResult {
    try {
      return this.broker.fetchNow(this.req);
    } catch {
      return { partitions: [], count: 0 };
    }
  }

  private finish(r: FetchResult): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== null) clearTimeout(this.timer);
    for (const p of this.parts) p.listeners.delete(this);
    this.broker.finishedWaiting(this);
    this.resolve(r);
  }
}

export { INTERNAL_TOPICS };
