/**
 * The run's clients and the one place that changes them: the connected adapter, one producer per
 * workload producer, one consumer loop per (group, consumer) slot, and the history process ids they
 * take. A crashed consumer is replaced in its slot by a new process; after an outage the adapter
 * reconnects and every client is replaced.
 */
import type {
  Adapter,
  AdapterFactory,
  AdapterSettings,
  Producer,
  TopicPartition,
} from "../../adapters/contract.js";
import type { HistoryRecorder } from "../history/index.js";
import type { RunMetrics } from "../metrics/index.js";
import type { Workload } from "../workload/index.js";
import { ConsumerLoop, type GroupState } from "./consumer-loop.js";
import { filterSubscription } from "./filters.js";
import { brokerGroupName } from "./names.js";
import type { RunSegment } from "./options.js";
import type { RunPlan } from "./plan.js";
import { groupPredicate, otherPredicates } from "./predicates.js";
import type { LoopContext } from "./producer-loop.js";

/** Subscriptions created at once on the broker (workload `predicates` with `filters`). */
const SUBSCRIBE_CONCURRENCY = 16;

/** Longest wait for every consumer to be assigned its partitions. */
const ASSIGN_WAIT_MS = 3000;
/** Quiet time after the last assignment before producing starts (longer than a pull's wait). */
const ASSIGN_SETTLE_MS = 300;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ClientsOptions {
  readonly plan: RunPlan;
  readonly factory: AdapterFactory;
  /** Settings the adapter (re)connects with. */
  readonly settings: AdapterSettings;
  readonly topics: readonly string[];
  /** The run's random part of topic and pattern names. */
  readonly nonce: string;
  readonly groups: readonly GroupState[];
  readonly ctx: LoopContext;
  readonly warn: (line: string) => void;
  /** What an injected fault did (results.json faultLog): not a warning. */
  readonly faultLog: (line: string) => void;
  /** A worker's part of a distributed run: its producers, consumer slots and process ids. */
  readonly segment?: RunSegment;
}

export class RunClients {
  /** One per workload producer this process runs (topic-major); replaced after an outage. */
  readonly producers: Producer[] = [];
  /** Each of `producers`' index among the whole run's producers (its lanes, keys, topic, share). */
  readonly producerIndex: readonly number[];
  /** The live consumer loops, one per (group, consumer) slot; then the late group's. */
  readonly consumers: ConsumerLoop[] = [];
  /** Loops that crashed (kept for their warnings). */
  readonly crashed: ConsumerLoop[] = [];
  readonly groups: readonly GroupState[];
  readonly topics: readonly string[];
  private adapter: Adapter;
  private readonly options: ClientsOptions;
  /** Consumers are held back (backlog mode): new ones are created held too. */
  private held = false;
  private readonly w: Workload;
  private nextProcess: number;
  private readonly processBase: number;
  /** A segment's consumer slots; null: every slot. */
  private readonly consumerSlots: ReadonlySet<number> | null;

  constructor(adapter: Adapter, options: ClientsOptions) {
    this.adapter = adapter;
    this.options = options;
    this.w = options.plan.workload;
    this.groups = options.groups;
    this.topics = options.topics;
    const segment = options.segment;
    this.processBase = segment?.processBase ?? 0;
    this.producerIndex = segment?.producers ?? Array.from({ length: this.producerCount }, (_, i) => i);
    this.consumerSlots = segment === undefined ? null : new Set(segment.consumerSlots);
    // Producer i sends through `inFlight` lanes, each a history process: 1 … producers·inFlight
    // (above a worker's process base).
    this.nextProcess = this.processBase + this.producerCount * this.w.inFlight + 1;
  }

  /** The history process of lane `lane` of the run's producer `index`. */
  laneProcess(index: number, lane: number): number {
    return this.processBase + index * this.w.inFlight + 1 + lane;
  }

  get producerCount(): number {
    return this.w.topics * this.w.producersPerTopic;
  }

  /** Hands out a fresh history process id (unique in the run). */
  readonly newProcess = (): number => this.nextProcess++;

  get recorder(): HistoryRecorder | null {
    return this.options.ctx.recorder;
  }

  get metrics(): RunMetrics {
    return this.options.ctx.metrics;
  }

  /** Whether messages carry their id beside the payload (exactly-once: brokers that deduplicate by id). */
  get messageIds(): boolean {
    return this.w.deliveryMode === "exactly-once";
  }

  /** The reacting group's index (workload `reactors`), or -1. */
  get reactorGroup(): number {
    return this.w.reactors === null ? -1 : this.w.reactors.group - 1;
  }

  async createTopics(): Promise<void> {
    for (const name of this.topics) await this.adapter.createTopic({ name, partitions: this.w.partitions });
  }

  /**
   * Workload `predicates` with `filters: N`: N − 1 subscriptions per topic that match no message,
   * without consumers (named `bb-other-<k>`), so that the broker tests each message against N
   * predicates. They go with the topics.
   */
  async createOtherSubscriptions(): Promise<void> {
    const spec = this.w.predicates;
    if (spec === null || this.w.filters <= 1) return;
    const subscribe = this.adapter.createSubscription?.bind(this.adapter);
    if (subscribe === undefined) {
      throw new Error(`${this.options.factory.name} declares predicates but cannot create subscriptions`);
    }
    const others = otherPredicates(spec, this.w.filters - 1);
    const jobs = this.topics.flatMap((topic) =>
      others.map((predicate, k) => () => subscribe({ topic, group: `bb-other-${k}`, predicate })),
    );
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(SUBSCRIBE_CONCURRENCY, jobs.length) }, async () => {
        while (next < jobs.length) await jobs[next++]!();
      }),
    );
  }

  /** The workload's producers (a segment's), first process ids 1, 1 + inFlight, … */
  async createProducers(): Promise<void> {
    for (const i of this.producerIndex)
      this.producers.push(await this.createProducer(this.laneProcess(i, 0)));
  }

  private createProducer(process: number): Promise<Producer> {
    return this.adapter.createProducer({
      process,
      mode: this.w.deliveryMode,
      idempotent: this.w.deliveryMode === "exactly-once" && this.options.plan.caps.idempotentProduce,
    });
  }

  /** A consumer loop for group `g` as a new history process (not started). */
  async createConsumerLoop(g: GroupState): Promise<ConsumerLoop> {
    const w = this.w;
    const process = this.newProcess();
    const react =
      g.index === this.reactorGroup && w.reactors !== null
        ? {
            producer: await this.createProducer(process),
            fraction: w.reactors.fraction,
            maxSource: this.producerCount * w.inFlight,
            topic: this.topics[0]!,
            messageSize: w.messageSize,
            messageIds: this.messageIds,
          }
        : undefined;
    const recorder = this.recorder;
    // The adapter may report the first assignment before createConsumer returns.
    const holder: { loop: ConsumerLoop | null; assigned: readonly TopicPartition[] | null } = {
      loop: null,
      assigned: null,
    };
    const consumer = await this.adapter.createConsumer({
      process,
      group: brokerGroupName(this.options.nonce, g.name),
      topics: this.topics,
      ...(w.predicates === null
        ? filterSubscription(w.filters, this.options.nonce)
        : { predicate: groupPredicate(w.predicates, g.index) }),
      delivery: this.options.plan.delivery,
      mode: w.deliveryMode,
      start: g.start ?? this.options.plan.start,
      prefetch: w.prefetch,
      onAssign: (assignment) => {
        if (holder.loop?.crashed) return;
        recorder?.assign(holder.loop?.process ?? process, g.name, assignment);
        holder.assigned = assignment.partitions;
        holder.loop?.onAssign(assignment.partitions);
      },
    });
    const loop = new ConsumerLoop(
      consumer,
      {
        process,
        nextProcess: this.newProcess,
        group: g,
        mode: w.deliveryMode,
        pollMax: w.pollMax,
        pollWaitMs: 100,
        ...(react ? { react } : {}),
      },
      this.options.ctx,
    );
    holder.loop = loop;
    if (holder.assigned !== null) loop.onAssign(holder.assigned);
    if (this.held) loop.hold();
    return loop;
  }

  /** The groups' consumers (the late group joins while producing), created then started. */
  async createConsumers(): Promise<void> {
    // Consumers first, so that a group starting at `latest` sees every message.
    for (const g of this.groups) {
      if (g.start !== undefined) continue;
      for (let c = 0; c < this.w.consumersPerGroup; c++) {
        if (this.consumerSlots?.has(g.index * this.w.consumersPerGroup + c) === false) continue;
        this.consumers.push(await this.createConsumerLoop(g));
      }
    }
  }

  /** Pull consumers must poll to be assigned (as Kafka's do): start them all. */
  async startConsumers(): Promise<void> {
    for (const c of this.consumers) await c.start();
  }

  /** Kills the consumer in `slot` (fault injection); resolves when it is dead. */
  async crashConsumer(slot: number, why: string): Promise<void> {
    const loop = this.slot(slot);
    await loop.crash();
    this.crashed.push(loop);
    this.options.faultLog(`consumer ${loop.process} in ${loop.plan.group.name} crashed (${why})`);
  }

  /** A new consumer process takes the crashed one's place in `slot`. */
  async replaceConsumer(slot: number): Promise<void> {
    const old = this.slot(slot);
    if (!old.crashed) return;
    const loop = await this.createConsumerLoop(old.plan.group);
    this.consumers[slot] = loop;
    await loop.start();
  }

  slot(slot: number): ConsumerLoop {
    const loop = this.consumers[slot];
    if (loop === undefined) throw new Error(`no consumer in slot ${slot}`);
    return loop;
  }

  /** An outage: every consumer loses its broker (recorded as a crash). */
  async crashAll(): Promise<void> {
    for (const [slot, loop] of this.consumers.entries()) {
      await loop.crash(0);
      this.crashed.push(loop);
      this.options.faultLog(`consumer ${loop.process} (slot ${slot}) lost its broker and was replaced`);
    }
  }

  /** After an outage: a new adapter connection, then new producers and consumers in every slot. */
  async reconnect(): Promise<void> {
    const old = this.adapter;
    this.adapter = await this.options.factory.connect(this.options.settings);
    void old.close().catch(() => {});
    for (const [i, p] of this.producers.entries()) {
      void p.close().catch(() => {});
      this.producers[i] = await this.createProducer(this.newProcess());
    }
    for (const [slot, loop] of this.consumers.entries()) {
      const next = await this.createConsumerLoop(loop.plan.group);
      this.consumers[slot] = next;
      await next.start();
    }
    this.options.faultLog(
      `reconnected ${this.producers.length} producer(s) and ${this.consumers.length} consumer(s)`,
    );
  }

  /**
   * Waits until every consumer is assigned and no rebalance happened for a while (a consumer that
   * has not yet seen the last generation would otherwise commit with a stale one). Queue-model
   * brokers have no assignment to wait for.
   */
  async waitForAssignments(loops: readonly ConsumerLoop[] = this.consumers): Promise<void> {
    if (this.options.plan.caps.model !== "log") return;
    const deadline = performance.now() + ASSIGN_WAIT_MS;
    while (performance.now() < deadline) {
      const lastAssign = Math.max(...loops.map((c) => c.lastAssignMs));
      if (loops.every((c) => c.assigned) && performance.now() - lastAssign >= ASSIGN_SETTLE_MS) return;
      await sleep(10);
    }
  }

  /**
   * Whether every partition of the run's topics is assigned to a live consumer of group `g`
   * (log model; a queue-model broker shares every partition, so it is always true there).
   */
  covers(g: GroupState): boolean {
    if (this.options.plan.caps.model !== "log") return true;
    const owned = new Set<string>();
    for (const c of this.consumers) {
      if (c.plan.group !== g || c.crashed) continue;
      for (const tp of c.partitions) owned.add(`${tp.topic}\u0000${tp.partition}`);
    }
    return this.topics.every((t) =>
      Array.from({ length: this.w.partitions }, (_, p) => p).every((p) => owned.has(`${t}\u0000${p}`)),
    );
  }

  /** Holds every consumer back, present and future, until `releaseConsumers` (backlog mode). */
  holdConsumers(): void {
    this.held = true;
    for (const c of this.consumers) c.hold();
  }

  releaseConsumers(): void {
    this.held = false;
    for (const c of this.consumers) c.release();
  }

  /** Every consumer loop the run had, crashed ones included (for their warnings). */
  allLoops(): ConsumerLoop[] {
    return [...this.crashed, ...this.consumers];
  }

  /**
   * Stops consumers, closes producers, deletes the run's topics, closes the adapter (best effort).
   * `cleanPrefix` (an interrupted run): then also everything else named with it that the broker
   * lists (Adapter.clean: groups' queues, durable consumers ...); returns what that removed, or why not.
   */
  async close(cleanPrefix?: string): Promise<{ removed: readonly string[] } | { error: string } | null> {
    let cleaned: { removed: readonly string[] } | { error: string } | null = null;
    await closeAll([
      ...this.consumers.map((c) => () => c.stop()),
      ...this.producers.map((p) => () => p.close()),
      // A segment's topics are its coordinator's to delete.
      ...(this.options.segment === undefined
        ? this.topics.map((t) => () => this.adapter.deleteTopic(t))
        : []),
      async () => {
        if (cleanPrefix === undefined || this.adapter.clean === undefined) return;
        try {
          cleaned = { removed: await this.adapter.clean(cleanPrefix) };
        } catch (err) {
          cleaned = { error: err instanceof Error ? err.message : String(err) };
        }
      },
      () => this.adapter.close(),
    ]);
    return cleaned;
  }
}

/** Runs every cleanup step even when some fail (best effort: the run's outcome is already known). */
async function closeAll(steps: readonly (() => Promise<void>)[]): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch {
      // a broker that fails to clean up does not change what was measured
    }
  }
}
