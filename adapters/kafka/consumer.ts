/**
 * The kafka consumer: a member of a classic consumer group (JoinGroup/SyncGroup, heartbeats,
 * the client's range assignor) whose fetch loop (@platformatic/kafka's MessagesStream, in paused
 * mode) fills a buffer that `poll(max, waitMs)` drains: Kafka has no broker push, so this adapter
 * offers pull only. Commits by delivery mode:
 *
 * - at-most-once / at-least-once: OffsetCommit of the next offset per partition (the runner calls
 *   it before / after processing). A batch fetched under an older generation is not committed
 *   (the group rebalanced meanwhile and its partitions may have a new owner): the commit fails, the
 *   runner records it and the new owner re-reads from the last committed offset.
 * - exactly-once: one Kafka transaction per commit: the processing record (what this consumer
 *   processed: group, process, offsets) is produced to the group's `-processed` topic and the next
 *   offsets are added with TxnOffsetCommit carrying the member id and the generation the batch was
 *   fetched under (KIP-447 fencing); EndTxn(commit) makes both visible together or neither.
 *
 * Deliveries of partitions this member no longer owns (buffered before a rebalance) are dropped
 * rather than handed out.
 */
import type { Message, MessagesStream } from "@platformatic/kafka";
import type {
  CommitValue,
  ConsumerOptions,
  Delivery,
  PullConsumer,
  StartPosition,
  TopicPartition,
} from "../contract.js";
import { describeError, type RoutedConsumer, type RoutedProducer } from "./clients.js";
import type { KafkaSettings } from "./settings.js";

export type KMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** Where the exactly-once commit writes its processing record. */
export interface ProcessingLog {
  readonly producer: RoutedProducer;
  readonly topic: string;
}

const tpKey = (topic: string, partition: number) => `${topic}:${partition}`;

export class KafkaPullConsumer implements PullConsumer {
  readonly delivery = "pull" as const;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  private readonly sources = new WeakMap<Delivery, KMessage>();
  private owned = new Set<string>();
  private assignedOnce = false;
  private failure: Error | null = null;
  /** The client gave up rejoining the group: join again at the next poll. */
  private rejoin = false;
  private closed = false;
  /**
   * Rejects when the consumer is killed: what it had in flight (a commit's transaction waiting on
   * its coordinator, a join) then fails at once, as it would for a dead process, instead of holding
   * up whoever awaits it.
   */
  private readonly dead: Promise<never>;
  private die: (err: Error) => void = () => {};
  /** Ends the current poll's wait (new records buffered, or the stream closed). */
  private wake: (() => void) | null = null;

  constructor(
    private readonly client: RoutedConsumer,
    private readonly options: ConsumerOptions,
    private readonly topics: readonly string[],
    private readonly s: KafkaSettings,
    private readonly processing: ProcessingLog | null,
  ) {
    this.dead = new Promise<never>((_, reject) => {
      this.die = reject;
    });
    this.dead.catch(() => {});
  }

  /** `op`, unless the consumer is killed first. */
  private alive<T>(op: Promise<T>): Promise<T> {
    return Promise.race([op, this.dead]);
  }

  /** Joins the group and starts fetching; resolves once the first assignment is known. */
  async start(): Promise<void> {
    // The client emits 'error' when rejoining the group after a rebalance failed its retries (say,
    // SyncGroup during a storm of joins): without a listener that would end the process. The next
    // poll reports it (the runner records it and goes on as a new process) and joins again.
    this.client.on("error", (err: Error) => {
      if (this.closed) return;
      this.failure ??= err;
      this.rejoin = true;
    });
    this.client.on("consumer:group:join", (p) => {
      const partitions: TopicPartition[] = [];
      for (const a of p.assignments ?? []) {
        for (const partition of a.partitions) partitions.push({ topic: a.topic, partition });
      }
      this.owned = new Set(partitions.map((tp) => tpKey(tp.topic, tp.partition)));
      // The first assignment starts where the group starts; later ones from what it committed.
      const from: StartPosition = this.assignedOnce ? "committed" : this.options.start;
      this.assignedOnce = true;
      this.options.onAssign?.({ partitions, from });
    });
    await this.openStream();
  }

  /** The client's fetch stream (again after it died of an error: a new one from the committed offsets). */
  private async openStream(): Promise<void> {
    const stream = await this.client.consume({
      topics: [...this.topics],
      // A member resumes from the group's committed offsets; `start` only applies to a new group
      // (Kafka's auto.offset.reset).
      mode: "committed",
      fallbackMode: this.options.start === "latest" ? "latest" : "earliest",
      autocommit: false,
      maxWaitTime: this.s.fetchMaxWaitMs,
      maxBytes: this.s.fetchMaxBytes,
      highWaterMark: 4096,
      sessionTimeout: this.s.sessionTimeoutMs,
      heartbeatInterval: this.s.heartbeatMs,
      rebalanceTimeout: this.s.rebalanceTimeoutMs,
    });
    // Paused mode by a permanent 'readable' listener: the client's MessagesStream fetches only
    // while `readableFlowing` is not null (a listener makes it false), and stops when paused
    // explicitly. read() drains its buffer; the fetch loop refills it up to highWaterMark.
    stream.on("readable", () => this.wake?.());
    stream.on("close", () => this.wake?.());
    stream.on("error", (err: Error) => {
      if (!this.closed) this.failure ??= err;
    });
    this.stream = stream;
  }

  async poll(max: number, waitMs: number): Promise<readonly Delivery[]> {
    const stream = this.stream;
    if (this.closed || stream === null) throw new Error("kafka: consumer closed");
    const failure = this.failure;
    if (failure !== null) {
      this.failure = null;
      throw new Error(`kafka: ${describeError(failure)}`, { cause: failure });
    }
    if (stream.destroyed) {
      this.stream = null;
      await this.alive(this.openStream());
      return [];
    }
    if (this.rejoin) {
      const joined = this.client.joinGroup({
        sessionTimeout: this.s.sessionTimeoutMs,
        heartbeatInterval: this.s.heartbeatMs,
        rebalanceTimeout: this.s.rebalanceTimeoutMs,
      });
      await this.alive(joined).catch((err: unknown) => {
        throw new Error(`kafka: joining the group again failed: ${describeError(err)}`, { cause: err });
      });
      this.rejoin = false;
    }
    const out: Delivery[] = [];
    this.drainInto(stream, out, max);
    if (out.length > 0 || waitMs <= 0) return out;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.wake = done;
    });
    this.drainInto(stream, out, max);
    return out;
  }

  private drainInto(
    stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>,
    out: Delivery[],
    max: number,
  ): void {
    while (out.length < max) {
      const m = stream.read() as KMessage | null;
      if (m === null) return;
      if (!this.owned.has(tpKey(m.topic, m.partition))) continue; // buffered before a rebalance took it
      const d: Delivery = {
        topic: m.topic,
        partition: m.partition,
        offset: Number(m.offset),
        key: m.key === undefined || m.key === null || m.key.length === 0 ? null : m.key.toString(),
        payload: m.value,
        redelivered: false, // Kafka does not say whether a record was delivered before
      };
      this.sources.set(d, m);
      out.push(d);
    }
  }

  /**
   * The last record handed out per partition among `deliveries`, each carrying the member id and
   * the generation it was fetched under (what TxnOffsetCommit sends, KIP-447). Throws when the
   * group rebalanced since (the partition may have a new owner: committing would be a zombie's).
   */
  lastFetched(deliveries: readonly Delivery[]): KMessage[] {
    const last = new Map<string, KMessage>();
    for (const d of deliveries) {
      const m = this.sources.get(d);
      if (m === undefined) throw new Error("kafka: commit of a delivery this consumer did not hand out");
      const k = tpKey(m.topic, m.partition);
      const cur = last.get(k);
      if (cur === undefined || m.offset > cur.offset) last.set(k, m);
    }
    const messages = [...last.values()];
    const generation = this.client.generationId;
    const stale = messages.find(
      (m) => this.generationOf(m) !== generation || !this.owned.has(tpKey(m.topic, m.partition)),
    );
    if (stale !== undefined) {
      throw new Error(
        `kafka: commit refused: the group rebalanced since ${stale.topic}-${stale.partition}@${stale.offset} was fetched (generation ${this.generationOf(stale)} → ${generation})`,
      );
    }
    return messages;
  }

  /** The group client (a transactional producer adds its offsets as this member). */
  get groupClient(): RoutedConsumer {
    return this.client;
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    if (this.closed) throw new Error("kafka: consumer closed");
    const messages = this.lastFetched(deliveries);
    if (messages.length === 0) return { kind: "offsets", offsets: [] };
    const offsets = messages.map((m) => ({
      topic: m.topic,
      partition: m.partition,
      offset: Number(m.offset) + 1,
    }));
    try {
      if (this.processing === null) {
        await this.alive(
          this.client.commit({
            offsets: messages.map((m) => ({
              topic: m.topic,
              partition: m.partition,
              offset: m.offset + 1n,
              leaderEpoch: -1,
            })),
          }),
        );
      } else {
        await this.alive(this.commitTransaction(this.processing, messages, offsets));
      }
    } catch (err) {
      throw new Error(`kafka: commit failed: ${describeError(err)}`, { cause: err });
    }
    return { kind: "offsets", offsets };
  }

  /** The processing record and the offsets in one transaction (both or neither). */
  private async commitTransaction(
    log: ProcessingLog,
    messages: readonly KMessage[],
    offsets: readonly (TopicPartition & { offset: number })[],
  ): Promise<void> {
    const tx = await log.producer.beginTransaction();
    try {
      const record = { group: this.options.group, process: this.options.process, offsets };
      await tx.send({
        messages: [{ topic: log.topic, partition: 0, value: Buffer.from(JSON.stringify(record)) }],
      });
      await tx.addConsumer(this.client);
      for (const m of messages) await tx.addOffset(m);
      await tx.commit();
    } catch (err) {
      if (!tx.completed) await tx.abort().catch(() => {});
      throw err;
    }
  }

  private generationOf(m: KMessage): number | undefined {
    return (m.metadata as { consumer?: { generationId?: number } }).consumer?.generationId;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stream?.close().catch(() => {});
    await new Promise<void>((resolve) => this.client.close(true, () => resolve()));
    await this.processing?.producer.close().catch(() => {});
  }

  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.die(new Error("kafka: consumer killed"));
    await this.client.sever();
    this.stream?.destroy();
    // The transactional producer dies too, not waited for: closing lets its connections finish the
    // request in flight (a transaction step), which a crash does not do, and which held a killed
    // consumer's kill for the test's 30 s. Its open transaction times out on the broker.
    this.processing?.producer.close(true, () => {});
  }
}
