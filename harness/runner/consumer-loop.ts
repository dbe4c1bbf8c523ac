/**
 * One consumer: receives batches (push: the adapter calls us; pull: we poll), decodes identity and
 * timestamps from each payload, records the `poll`, and commits by delivery mode: at-most-once
 * commits *before* processing (a crash after the commit loses the batch, never duplicates it),
 * at-least-once and exactly-once after (a crash before the commit redelivers it).
 * "Processing" here is taking the measurements.
 */
import {
  type Consumer,
  type Delivery,
  type DeliveryMode,
  type OutgoingMessage,
  type Producer,
  SendError,
  type TopicPartition,
} from "../../adapters/contract.js";
import { wallMs } from "../../core/clock.js";
import { messageId } from "../../core/payload.js";
import type { DeliveredIds } from "../history/index.js";
import { BatchEncoder, HeaderReader } from "./payloads.js";
import type { LoopContext } from "./producer-loop.js";

/** What the run tracks per consumer group (shared by the group's consumers). */
export interface GroupState {
  readonly name: string;
  readonly index: number;
  /** Wall-clock ms of the group's last delivery (0 before any). */
  lastDeliveryMs: number;
  /** The late-joining group's start position (workload `lateGroup`); undefined for the others. */
  start?: "earliest" | "latest";
  /** A late group at `latest`: messages acknowledged before it joined, which it is not owed. */
  joinedAckedMsgs?: number;
}

export interface ConsumerPlan {
  /** The first history process id; after an operation with an unknown outcome the loop takes a new one. */
  readonly process: number;
  /** Hands out a fresh process id (unique in the run). */
  readonly nextProcess: () => number;
  readonly group: GroupState;
  readonly mode: DeliveryMode;
  readonly pollMax: number;
  readonly pollWaitMs: number;
  /** Causal chains (workload `reactors`): this consumer answers some messages with a dependent send. */
  readonly react?: ReactPlan;
}

/**
 * A reacting consumer sends, right after processing a batch, one dependent message per chosen
 * delivery, under its own history process: HISTORY.md makes a process's earlier deliveries causes
 * of its later sends, so every reaction causally follows what the consumer had received.
 */
export interface ReactPlan {
  readonly producer: Producer;
  /** Share of the producers' messages answered (chosen by sequence number, the same for every run). */
  readonly fraction: number;
  /** Payload producer ids up to this one are the workload's producers; reactions are never answered. */
  readonly maxSource: number;
  readonly topic: string;
  readonly messageSize: number;
  /** Give each message its id (exactly-once: brokers that deduplicate by id). */
  readonly messageIds: boolean;
}

/** Deterministic choice of about `fraction` of sequence numbers (Knuth's multiplicative hash). */
export function reacts(seq: number, fraction: number): boolean {
  return Math.imul(seq + 1, 2654435761) >>> 0 < fraction * 4294967296;
}

/** Failed operations after which a consumer gives up (the run then reports an error). */
const MAX_FAILURES = 50;

class Scratch implements DeliveredIds {
  procs = new Uint32Array(1024);
  seqs = new Uint32Array(1024);
  intended = new Float64Array(1024);
  sent = new Float64Array(1024);
  ensure(n: number): void {
    if (n <= this.procs.length) return;
    let size = this.procs.length;
    while (size < n) size *= 2;
    this.procs = new Uint32Array(size);
    this.seqs = new Uint32Array(size);
    this.intended = new Float64Array(size);
    this.sent = new Float64Array(size);
  }
}

export class ConsumerLoop {
  readonly plan: ConsumerPlan;
  /** Why the consumer stopped early, if it did. */
  error: string | null = null;
  /** The current history process id (HISTORY.md: after an `info`, a process id is never reused). */
  process: number;
  /** Operations that failed (recorded as `info`); the consumer went on under a new process id. */
  failures = 0;
  lastFailure: string | null = null;
  /** One line per failed operation, for results.json warnings. */
  readonly warnings: string[] = [];
  assigned = false;
  /** performance.now() of the latest assignment. */
  lastAssignMs = 0;
  /** The partitions of the latest assignment (log-model adapters report them). */
  partitions: readonly TopicPartition[] = [];
  /** Killed by fault injection: the loop is over and its consumer gone. */
  crashed = false;
  private readonly consumer: Consumer;
  private readonly ctx: LoopContext;
  private readonly reader = new HeaderReader();
  private readonly scratch = new Scratch();
  private stopping = false;
  private reactSeq = 0;
  private reactEncoder: BatchEncoder | null = null;
  private pullLoop: Promise<void> | null = null;
  private crashRequest: { done: Promise<void>; resolve: () => void } | null = null;
  /** Held back by the run (backlog mode): reads nothing until released. */
  private holdGate: { readonly open: Promise<void>; readonly release: () => void } | null = null;
  private stallGate: {
    untilMs: number;
    slowRate: number | null;
    open: Promise<void>;
    release: () => void;
  } | null = null;

  constructor(consumer: Consumer, plan: ConsumerPlan, ctx: LoopContext) {
    this.consumer = consumer;
    this.plan = plan;
    this.process = plan.process;
    this.ctx = ctx;
  }

  async start(): Promise<void> {
    if (this.consumer.delivery === "push") {
      await this.consumer.start((batch) => (this.stopping || this.error ? undefined : this.handle(batch)));
    } else {
      this.pullLoop = this.pull(this.consumer);
    }
  }

  private async pull(consumer: Consumer & { delivery: "pull" }): Promise<void> {
    const { recorder } = this.ctx;
    const { group, pollMax, pollWaitMs } = this.plan;
    while (!this.stopping && !this.ctx.abort.aborted && this.error === null) {
      if (this.stallGate && this.stallGate.slowRate === null) await this.stallGate.open;
      if (this.holdGate) await this.holdGate.open;
      if (this.crashRequest) {
        this.crashNow(); // idle between polls: nothing in hand
        return;
      }
      recorder?.pollInvoke(this.process, group.name);
      let batch: readonly Delivery[];
      try {
        batch = await consumer.poll(pollMax, pollWaitMs);
      } catch (err) {
        if (this.crashed) return;
        this.fail("poll", err);
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      if (batch.length === 0) {
        recorder?.pollOk(this.process, group.name, batch, this.scratch);
        continue;
      }
      await this.handle(batch);
    }
  }

  /**
   * An operation failed with an unknown outcome: recorded as `info` under the current process id,
   * which is then spent; the consumer goes on as a new process (like a client that reconnects).
   * A commit the broker refused after a rebalance lands here: its deliveries are redelivered to the
   * partition's new owner, as with any at-least-once consumer. Too many failures stop the consumer.
   */
  private fail(f: "poll" | "commit", err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.ctx.recorder?.info(this.process, f, this.plan.group.name, message);
    this.failures++;
    this.lastFailure = `${f} failed: ${message}`;
    const spent = this.process;
    this.process = this.plan.nextProcess();
    this.warnings.push(
      `consumer ${spent} in ${this.plan.group.name}: ${this.lastFailure} (went on as process ${this.process})`,
    );
    if (this.failures >= MAX_FAILURES) {
      this.error ??= `consumer in ${this.plan.group.name}: ${this.failures} failed operations, last: ${this.lastFailure}`;
    }
  }

  private async handle(batch: readonly Delivery[]): Promise<void> {
    const n = batch.length;
    if (n === 0) return;
    // Push: a stalled consumer does not return from the broker's callback until the stall ends.
    if (this.stallGate && this.stallGate.slowRate === null) await this.stallGate.open;
    if (this.holdGate) await this.holdGate.open;
    if (this.crashed) return;
    const receiveMs = wallMs();
    const s = this.scratch;
    s.ensure(n);
    const reader = this.reader;
    for (let i = 0; i < n; i++) {
      if (!reader.read(batch[i]!.payload)) {
        this.error ??=
          `consumer ${this.process} received a message that is not a brokerbench payload ` +
          `(topic ${batch[i]!.topic}): another client is writing to this topic`;
        return;
      }
      s.procs[i] = reader.process;
      s.seqs[i] = reader.sequence;
      s.intended[i] = reader.intendedMs;
      s.sent[i] = reader.sentMs;
    }
    const { recorder } = this.ctx;
    const { group } = this.plan;
    group.lastDeliveryMs = receiveMs;
    // A requested crash strikes in the middle of this batch, where each mode is vulnerable:
    // at-most-once after its commit and before processing (the batch is never recorded as
    // delivered: lost), otherwise after processing and before the commit (redelivered).
    const crashing = this.crashRequest !== null;
    if (this.plan.mode === "at-most-once") {
      if (crashing) {
        await this.commit(batch);
        this.crashNow();
        return;
      }
      recorder?.pollOk(this.process, group.name, batch, s);
      if (!(await this.commit(batch))) return;
      this.measure(n, receiveMs);
    } else {
      recorder?.pollOk(this.process, group.name, batch, s);
      this.measure(n, receiveMs);
      if (crashing) {
        this.crashNow();
        return;
      }
      await this.commit(batch);
    }
    if (this.plan.react) await this.react(this.plan.react, n);
    const gate = this.stallGate;
    if (gate && gate.slowRate !== null && wallMs() < gate.untilMs) {
      // A slow consumer: this batch takes n / slowRate seconds (cut short when the stall ends).
      const ms = Math.min((n * 1000) / gate.slowRate, gate.untilMs - wallMs());
      await Promise.race([gate.open, new Promise((resolve) => setTimeout(resolve, ms))]);
    }
  }

  /** Sends the dependent messages for the batch just processed (ids `${plan.process}-${seq}`). */
  private async react(r: ReactPlan, n: number): Promise<void> {
    const { procs, seqs } = this.scratch;
    let count = 0;
    for (let i = 0; i < n; i++) if (procs[i]! <= r.maxSource && reacts(seqs[i]!, r.fraction)) count++;
    if (count === 0 || this.crashed || this.stopping) return;
    const source = this.plan.process;
    this.reactEncoder ??= new BatchEncoder(r.messageSize, source, 64);
    const { metrics, recorder } = this.ctx;
    const messages: OutgoingMessage[] = [];
    const firstSeq = this.reactSeq;
    while (count > 0) {
      const k = Math.min(count, 64);
      const now = wallMs();
      let seq = this.reactSeq;
      for (const payload of this.reactEncoder.encode(k, this.reactSeq, now, now)) {
        messages.push(
          r.messageIds
            ? { topic: r.topic, key: null, payload, id: messageId(source, seq++) }
            : { topic: r.topic, key: null, payload },
        );
      }
      this.reactSeq += k;
      count -= k;
    }
    const batch = {
      process: this.process,
      source,
      topic: r.topic,
      firstSeq,
      count: messages.length,
      keys: null,
    };
    const sentMs = wallMs();
    metrics.onSending(messages.length);
    recorder?.sendInvoke(batch);
    try {
      const acks = await r.producer.send(messages);
      metrics.onAcked(messages.length, sentMs, sentMs, wallMs());
      recorder?.sendOk(batch, acks);
    } catch (err) {
      const definite = err instanceof SendError && err.definite;
      const message = err instanceof Error ? err.message : String(err);
      metrics.onSendFailed(messages.length, definite);
      recorder?.sendFailed(batch, definite, message);
      if (!definite) {
        // An unknown outcome spends the process (HISTORY.md); the consumer goes on as a new one.
        this.process = this.plan.nextProcess();
        this.warnings.push(`consumer ${batch.process}: reaction send outcome unknown: ${message}`);
      }
    }
  }

  /**
   * Fault injection: kills the consumer abruptly (the adapter's `kill`: no commit, no ack). The
   * crash strikes while it handles its next batch (see `handle`), or after `idleMs` if none comes.
   * Resolves once the consumer is dead and `crash` is recorded under its process.
   */
  crash(idleMs = 300): Promise<void> {
    if (this.crashRequest) return this.crashRequest.done;
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    this.crashRequest = { done, resolve };
    this.stallGate?.release();
    this.holdGate?.release();
    const timer = setTimeout(() => this.crashNow(), idleMs);
    return done.finally(() => clearTimeout(timer));
  }

  private crashNow(): void {
    const request = this.crashRequest;
    if (this.crashed || !request) return;
    this.crashed = true;
    this.stopping = true;
    this.ctx.recorder?.crash(this.process);
    // Not awaited here: a push adapter may be inside this very callback.
    const kill = this.consumer.kill ? this.consumer.kill() : this.consumer.close();
    kill.catch(() => {}).finally(() => request.resolve());
  }

  /** Fault injection: stops reading until `untilMs` (wall clock), or reads at `slowRate` msgs/s. */
  stall(untilMs: number, slowRate: number | null): void {
    this.stallGate?.release();
    let release!: () => void;
    const open = new Promise<void>((r) => {
      release = r;
    });
    const gate = { untilMs, slowRate, open, release: () => {} };
    const timer = setTimeout(() => gate.release(), Math.max(0, untilMs - wallMs()));
    gate.release = () => {
      clearTimeout(timer);
      if (this.stallGate === gate) this.stallGate = null;
      release();
    };
    this.stallGate = gate;
  }

  /** Ends a stall early. */
  unstall(): void {
    this.stallGate?.release();
  }

  /** Reads nothing more until `release` (the runner's backlog mode; a push consumer stops acknowledging). */
  hold(): void {
    if (this.holdGate) return;
    let release!: () => void;
    const open = new Promise<void>((r) => {
      release = r;
    });
    this.holdGate = {
      open,
      release: () => {
        this.holdGate = null;
        release();
      },
    };
  }

  release(): void {
    this.holdGate?.release();
  }

  private async commit(batch: readonly Delivery[]): Promise<boolean> {
    try {
      const value = await this.consumer.commit(batch);
      if (this.crashed) return false; // died before learning the outcome
      this.ctx.recorder?.commit(this.process, this.plan.group.name, value, this.scratch, batch.length);
      return true;
    } catch (err) {
      if (!this.crashed) this.fail("commit", err);
      return false;
    }
  }

  /** Counts the batch and records end-to-end latency once per run of equal send times. */
  private measure(n: number, receiveMs: number): void {
    const { metrics } = this.ctx;
    const { intended, sent, procs, seqs } = this.scratch;
    metrics.onDelivered(this.plan.group.index, n, receiveMs, procs, seqs);
    let runStart = 0;
    for (let i = 1; i <= n; i++) {
      if (i === n || intended[i] !== intended[runStart] || sent[i] !== sent[runStart]) {
        metrics.onEndToEnd(i - runStart, intended[runStart]!, sent[runStart]!, receiveMs);
        runStart = i;
      }
    }
  }

  onAssign(partitions: readonly TopicPartition[]): void {
    this.assigned = true;
    this.partitions = partitions;
    this.lastAssignMs = performance.now();
  }

  /** Stops receiving and closes the consumer. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stallGate?.release();
    this.holdGate?.release();
    if (this.pullLoop) await this.pullLoop;
    if (this.crashRequest) {
      await this.crashRequest.done;
    } else {
      await this.consumer.close();
    }
    await this.plan.react?.producer.close();
  }
}
