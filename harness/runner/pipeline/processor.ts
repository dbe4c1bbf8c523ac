/**
 * One processor of a pipeline: a member of the processor group that reads keyed events from the
 * input topic, keeps each key's running count and sum per input partition, and writes every update
 * to the output topic (same key, so the same partition number), in the run's processing mode:
 *
 *   at-least-once  write the updates, then commit the input offsets (a crash between: reprocessed)
 *   at-most-once   commit the input offsets, then write (a crash between: those events are lost)
 *   exactly-once   updates and offsets in one transaction, one transactional id per input
 *                  partition (a task, as Kafka Streams' EOS): whoever takes a partition fences the
 *                  previous owner and aborts what it left open
 *
 * State is restored from the output topic: when a partition is (re)assigned, the processor reads
 * its output partition to the end (read-committed) and keeps each key's last update. Under
 * exactly-once that is exactly the state the committed offsets imply; otherwise it is whatever the
 * last writes left, which is where double counts (or misses) come from.
 *
 * A crash mid-batch (fault consumer-crash on the processor group) strikes at the point that
 * matters: after the writes and before the commit. A failed operation makes the processor start
 * over as a new history process (new member, state restored again), as a restarted task would.
 */
import type {
  Adapter,
  Delivery,
  DeliveryMode,
  OutgoingMessage,
  Producer,
  PullConsumer,
  TransactionalProducer,
} from "../../../adapters/contract.js";
import { SendError } from "../../../adapters/contract.js";
import { wallMs } from "../../../core/clock.js";
import type { Aggregate } from "../../../core/history/computation.js";
import { decodePayload, messageId } from "../../../core/payload.js";
import type { HistoryRecorder } from "../../history/index.js";
import { decodeUpdate, encodeUpdate, eventValue } from "./values.js";

export interface PipelineTopics {
  readonly input: string;
  readonly output: string;
  /** The processors' group on the broker. */
  readonly group: string;
  /** Its name in the history (g1: the fault targets' group). */
  readonly historyGroup: string;
  /** Transactional ids are `${taskPrefix}-<input partition>`. */
  readonly taskPrefix: string;
}

export interface ProcessorContext {
  readonly adapter: Adapter;
  readonly recorder: HistoryRecorder | null;
  readonly mode: DeliveryMode;
  readonly topics: PipelineTopics;
  readonly messageSize: number;
  readonly pollMax: number;
  /** A new history process id. */
  nextProcess(): number;
  /** Updates committed (metrics). */
  onCommitted(n: number): void;
  warn(line: string): void;
  readonly restoreTimeoutMs: number;
}

interface KeyState {
  count: number;
  sum: number;
}

/** The processor died (crash) or stopped: the loop ends without a commit. */
class Stopped extends Error {}

/** A transaction was aborted because its partition now belongs to another member (or task instance). */
class PartitionMoved extends Error {}

const POLL_WAIT_MS = 100;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One incarnation: one history process, one group member, its producers and state. */
class Incarnation {
  readonly process: number;
  private consumer: PullConsumer | null = null;
  private producer: Producer | null = null;
  private readonly tasks = new Map<number, TransactionalProducer>();
  private readonly state = new Map<number, Map<string, KeyState>>();
  /** Partitions assigned since their state was last restored. */
  private readonly fresh = new Set<number>();
  owned = new Set<number>();
  /** When its polls started coming back empty (0: busy): the drain's "nothing more is coming". */
  idleSince = 0;
  private seq = 0;
  stopping = false;
  /** Set by a crash fault: die at the next batch's crash point; resolved once dead. */
  private crashAt: (() => void) | null = null;
  dead = false;

  constructor(private readonly ctx: ProcessorContext) {
    this.process = ctx.nextProcess();
  }

  async open(): Promise<void> {
    const { ctx } = this;
    const c = await ctx.adapter.createConsumer({
      process: this.process,
      group: ctx.topics.group,
      topics: [ctx.topics.input],
      delivery: "pull",
      mode: ctx.mode,
      start: "earliest",
      prefetch: ctx.pollMax,
      onAssign: (a) => {
        ctx.recorder?.assign(this.process, ctx.topics.historyGroup, a);
        const now = new Set(a.partitions.filter((p) => p.topic === ctx.topics.input).map((p) => p.partition));
        for (const p of this.owned) if (!now.has(p)) this.state.delete(p);
        // Every (re)assigned partition restarts from its committed offset: restore its state.
        for (const p of now) this.fresh.add(p);
        this.owned = now;
        // Empty polls before an assignment say nothing about what it brings: the drain's "nothing
        // more is coming" must wait for polls after it (a Kafka rebalance outlasts QUIET_MS, and
        // the drain ended 13 ms after one, with the reassigned partitions' backlog unread).
        this.idleSince = 0;
      },
    });
    if (c.delivery !== "pull") throw new Error("pipeline processors read by pull");
    this.consumer = c;
    if (ctx.mode !== "exactly-once") {
      this.producer = await ctx.adapter.createProducer({
        process: this.process,
        mode: ctx.mode,
        idempotent: false,
      });
    }
  }

  /** Reads, processes and writes until stopped, crashed or failed (then throws). */
  async run(): Promise<void> {
    const c = this.consumer!;
    while (!this.stopping) {
      if (this.crashAt !== null && this.owned.size === 0) await this.die();
      this.ctx.recorder?.pollInvoke(this.process, this.ctx.topics.historyGroup);
      let batch: readonly Delivery[];
      try {
        batch = await c.poll(this.ctx.pollMax, POLL_WAIT_MS);
      } catch (err) {
        if (this.dead) throw new Stopped();
        this.ctx.recorder?.info(this.process, "poll", this.ctx.topics.historyGroup, errorText(err));
        throw err;
      }
      if (this.dead) throw new Stopped();
      if (batch.length === 0) this.idleSince ||= Date.now();
      else this.idleSince = 0;
      this.ctx.recorder?.pollOk(this.process, this.ctx.topics.historyGroup, batch, idsOf(batch));
      // Runs of one partition: each processed (and, exactly once, committed) on its own.
      let i = 0;
      while (i < batch.length) {
        const p = batch[i]!.partition;
        let j = i + 1;
        while (j < batch.length && batch[j]!.partition === p) j++;
        // Revoked since the poll (a rebalance applied while an earlier run was processed): its new
        // owner reads it from the committed offset. Processing it here would count it twice, and a
        // commit by a member of the current generation is accepted whatever partition it names.
        if (!this.owned.has(p)) {
          i = j;
          continue;
        }
        try {
          await this.process_(p, batch.slice(i, j));
        } catch (err) {
          if (!(err instanceof PartitionMoved)) throw err;
          // The group moved the partition while this batch was under way: its transaction was
          // aborted; the new owner restarts from the committed offset. Forget it and go on.
          this.state.delete(p);
          await this.tasks
            .get(p)
            ?.close()
            .catch(() => {});
          this.tasks.delete(p);
        }
        i = j;
      }
    }
  }

  private async restore(partition: number): Promise<void> {
    const { ctx } = this;
    this.idleSince = 0;
    if (ctx.mode === "exactly-once") {
      // Fence the partition's previous owner first: its open transaction is aborted, so the
      // output read below is final.
      await this.tasks
        .get(partition)
        ?.close()
        .catch(() => {});
      this.tasks.delete(partition);
      const task = await ctx.adapter.createTransactionalProducer!({
        process: this.process,
        transactionalId: `${ctx.topics.taskPrefix}-${partition}`,
      });
      this.tasks.set(partition, task);
    }
    const keys = new Map<string, KeyState>();
    for (const d of await ctx.adapter.readPartition!(ctx.topics.output, partition, ctx.restoreTimeoutMs)) {
      const u = decodeUpdate(d.payload);
      if (d.key !== null) keys.set(d.key, { count: u.count, sum: u.sum });
    }
    this.state.set(partition, keys);
    this.fresh.delete(partition);
  }

  private async process_(partition: number, run: readonly Delivery[]): Promise<void> {
    const { ctx } = this;
    if (this.fresh.has(partition) || !this.state.has(partition)) await this.restore(partition);
    const state = this.state.get(partition)!;
    const staged = new Map<string, KeyState>();
    const out: OutgoingMessage[] = [];
    const recorded: { id: string; topic: string; key: string; agg: Aggregate }[] = [];
    const now = wallMs();
    for (const d of run) {
      const key = d.key ?? "";
      const prev = staged.get(key) ?? state.get(key) ?? { count: 0, sum: 0 };
      const next = { count: prev.count + 1, sum: prev.sum + eventValue(d.payload) };
      staged.set(key, next);
      const h = decodePayload(d.payload);
      const seq = this.seq++;
      out.push({
        topic: ctx.topics.output,
        key,
        payload: encodeUpdate(ctx.messageSize, this.process, seq, now, {
          count: next.count,
          sum: next.sum,
          inputProcess: h.process,
          inputSequence: h.sequence,
          inputSentMs: h.sentMs,
        }),
        id: messageId(this.process, seq),
      });
      recorded.push({
        id: messageId(this.process, seq),
        topic: ctx.topics.output,
        key,
        agg: {
          count: next.count,
          sum: next.sum,
          avg: next.sum / next.count,
          input: messageId(h.process, h.sequence),
        },
      });
    }
    const apply = () => {
      for (const [k, v] of staged) state.set(k, v);
    };
    switch (ctx.mode) {
      case "at-least-once":
        await this.write(out, recorded);
        apply();
        await this.crashPoint();
        await this.commit(run);
        break;
      case "at-most-once":
        await this.commit(run);
        await this.crashPoint();
        await this.write(out, recorded);
        apply();
        break;
      case "exactly-once":
        await this.transact(this.tasks.get(partition)!, run, out, recorded);
        apply();
        break;
    }
    ctx.onCommitted(run.length);
  }

  private async write(out: readonly OutgoingMessage[], recorded: readonly object[]): Promise<void> {
    const r = this.ctx.recorder;
    r?.sendLine("invoke", this.process, recorded);
    try {
      const acks = await this.producer!.send(out);
      r?.sendLine("ok", this.process, withPositions(recorded, acks));
    } catch (err) {
      if (this.dead) throw new Stopped();
      const definite = err instanceof SendError && err.definite;
      r?.sendLine(definite ? "fail" : "info", this.process, recorded, errorText(err));
      throw err;
    }
  }

  private async commit(run: readonly Delivery[]): Promise<void> {
    try {
      const v = await this.consumer!.commit(run);
      this.ctx.recorder?.commit(this.process, this.ctx.topics.historyGroup, v, idsOf(run), run.length);
    } catch (err) {
      if (this.dead) throw new Stopped();
      this.ctx.recorder?.info(this.process, "commit", this.ctx.topics.historyGroup, errorText(err));
      throw err;
    }
  }

  /** Writes and offsets in one transaction; a crash fault strikes after the writes, before the commit. */
  private async transact(
    task: TransactionalProducer,
    run: readonly Delivery[],
    out: readonly OutgoingMessage[],
    recorded: readonly object[],
  ): Promise<void> {
    const r = this.ctx.recorder;
    r?.sendLine("invoke", this.process, recorded);
    try {
      const acks = await task.send(out);
      const offsets = await task.sendOffsets(this.consumer!, run);
      await this.crashPoint();
      await task.commit();
      r?.sendLine("ok", this.process, withPositions(recorded, acks));
      r?.commit(this.process, this.ctx.topics.historyGroup, offsets, idsOf(run), run.length);
    } catch (err) {
      if (this.dead || err instanceof Stopped) throw new Stopped();
      let definite = err instanceof SendError && err.definite;
      if (definite) {
        // Refused before the commit: abort, so nothing of it takes effect.
        definite = await task.abort().then(
          () => true,
          () => false,
        );
      }
      r?.sendLine(definite ? "fail" : "info", this.process, recorded, errorText(err));
      // Aborted, and the partition is no longer ours (the failed commit applied the rebalance):
      // nothing to redo here. Still ours: our position is past the aborted batch, so start over.
      const partition = run[0]!.partition;
      if (definite && !this.owned.has(partition)) throw new PartitionMoved(errorText(err));
      throw err;
    }
  }

  private async crashPoint(): Promise<void> {
    if (this.crashAt !== null) await this.die();
  }

  /** Dies as a killed process: nothing more is written or committed. */
  async die(): Promise<never> {
    if (!this.dead) {
      this.dead = true;
      this.ctx.recorder?.crash(this.process);
      await this.consumer?.kill?.().catch(() => {});
      await this.producer?.close().catch(() => {});
      for (const t of this.tasks.values()) await (t.kill ?? t.close).call(t).catch(() => {});
      const done = this.crashAt;
      this.crashAt = null;
      done?.();
    }
    throw new Stopped();
  }

  /** Asks for a crash at the next crash point; resolves once dead (killed outright if idle). */
  crash(idleMs: number): Promise<void> {
    if (this.dead) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.crashAt = resolve;
      setTimeout(() => {
        if (!this.dead) void this.die().catch(() => {});
        else resolve();
      }, idleMs).unref();
    });
  }

  async close(): Promise<void> {
    this.stopping = true;
    // A crash asked for meanwhile is done: this process is gone either way.
    const crashing = this.crashAt;
    this.crashAt = null;
    crashing?.();
    if (this.dead) return;
    this.dead = true;
    await this.consumer?.close().catch(() => {});
    await this.producer?.close().catch(() => {});
    for (const t of this.tasks.values()) await t.close().catch(() => {});
  }
}

/**
 * A processor slot of the group: its current incarnation, restarted as a new process after a
 * failure; crashed and replaced by the fault machinery (`consumer:N` of group g1).
 */
export class ProcessorSlot {
  private current: Incarnation | null = null;
  private loop: Promise<void> = Promise.resolve();
  private crashed = false;
  private stopped = false;
  /** Restarts after a failed operation (not counting crashes). */
  restarts = 0;

  constructor(private readonly ctx: ProcessorContext) {}

  async start(): Promise<void> {
    const inc = new Incarnation(this.ctx);
    this.current = inc;
    await inc.open();
    this.loop = this.drive(inc);
  }

  private async drive(inc: Incarnation): Promise<void> {
    try {
      await inc.run();
    } catch (err) {
      if (err instanceof Stopped || inc.dead || this.stopped) return;
      // A failed operation: this process is spent; a new one takes over.
      this.restarts++;
      this.ctx.warn(`processor p${inc.process} failed (${errorText(err)}); restarting as a new process`);
      await inc.close();
      if (!this.stopped && !this.crashed)
        await this.start().catch((e) => this.ctx.warn(`restart failed: ${errorText(e)}`));
    }
  }

  /** When the current incarnation's polls started coming back empty; 0 while busy or crashed. */
  idleSince(): number {
    return this.crashed || this.current === null || this.current.dead ? 0 : this.current.idleSince;
  }

  /** The input partitions the current incarnation owns (none while crashed). */
  owned(): ReadonlySet<number> {
    return this.crashed || this.current === null ? new Set() : this.current.owned;
  }

  /** consumer-crash: dies after its next batch's writes, before their commit (or at once when idle). */
  async crash(): Promise<void> {
    if (this.crashed || this.current === null) return;
    this.crashed = true;
    await this.current.crash(1000);
    await this.loop;
  }

  async replace(): Promise<void> {
    if (!this.crashed || this.stopped) return;
    this.crashed = false;
    // Right after an outage the broker may still be coming up: a few tries.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.start();
        return;
      } catch (err) {
        if (attempt >= 10 || this.stopped) throw err;
        await sleep(250 * attempt);
      }
    }
  }

  /** The end of the run: leaves cleanly. */
  async stop(): Promise<void> {
    this.stopped = true;
    const inc = this.current;
    if (inc !== null) inc.stopping = true;
    await this.loop;
    await inc?.close();
  }
}

function idsOf(ds: readonly Delivery[]): { procs: Uint32Array; seqs: Uint32Array } {
  const procs = new Uint32Array(ds.length);
  const seqs = new Uint32Array(ds.length);
  ds.forEach((d, i) => {
    const h = decodePayload(d.payload);
    procs[i] = h.process;
    seqs[i] = h.sequence;
  });
  return { procs, seqs };
}

function withPositions(
  recorded: readonly object[],
  acks: readonly { partition: number; offset: number | null }[],
): object[] {
  return recorded.map((m, i) => ({ ...m, partition: acks[i]!.partition, offset: acks[i]!.offset }));
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
