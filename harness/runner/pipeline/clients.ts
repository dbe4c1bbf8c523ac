/**
 * A pipeline's producers and verifier: producers write keyed events with numeric values to the
 * input topic (at the workload's rate, in batches), the verifier group reads the output topic and
 * times each update from the input event it answers (end-to-end latency).
 */
import type {
  Adapter,
  Delivery,
  OutgoingMessage,
  Producer,
  PullConsumer,
} from "../../../adapters/contract.js";
import { SendError } from "../../../adapters/contract.js";
import { wallMs } from "../../../core/clock.js";
import { decodePayload, messageId, stampSent } from "../../../core/payload.js";
import type { HistoryRecorder } from "../../history/index.js";
import type { RunMetrics } from "../../metrics/index.js";
import { decodeUpdate, encodeEvent } from "./values.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export interface ProducerPlan {
  readonly adapter: Adapter;
  readonly recorder: HistoryRecorder | null;
  readonly topic: string;
  readonly keys: readonly string[];
  readonly random: boolean;
  readonly batchSize: number;
  readonly messageSize: number;
  /** Messages a second for this producer, or null for as fast as acknowledged. */
  readonly rate: number | null;
  /** Ask the broker to drop retried batches (exactly-once pipelines). */
  readonly idempotent: boolean;
  /** The run's figures: input events sent, acknowledged, failed. */
  readonly metrics: RunMetrics;
  nextProcess(): number;
  warn(line: string): void;
}

/** One producer lane: a history process until an unknown outcome spends it, then a new one. */
export class InputProducer {
  /** producer-ack-loss: the next acknowledgements are lost, and the batch is sent again. */
  ackLoss = false;
  acked = 0;
  /** Input ids acknowledged, with their send time (coverage and latency). */
  readonly ackedIds = new Set<string>();
  private process = 0;
  private seq = 0;
  private producer: Producer | null = null;
  private n = 0;
  private stopped = false;

  constructor(private readonly plan: ProducerPlan) {}

  private async open(): Promise<Producer> {
    if (this.producer !== null) return this.producer;
    this.process = this.plan.nextProcess();
    this.seq = 0;
    this.producer = await this.plan.adapter.createProducer({
      process: this.process,
      mode: this.plan.idempotent ? "exactly-once" : "at-least-once",
      idempotent: this.plan.idempotent,
    });
    return this.producer;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Produces until `until()` says stop (duration or count), then resolves. */
  async run(until: (sent: number) => boolean, startMs: number): Promise<void> {
    const p = this.plan;
    while (!this.stopped && !until(this.n)) {
      let producer: Producer;
      try {
        producer = await this.open();
      } catch (err) {
        p.warn(`input producer: ${errorText(err)}; retrying`);
        await sleep(200);
        continue;
      }
      const intended = p.rate === null ? wallMs() : startMs + (this.n / p.rate) * 1000;
      const wait = intended - wallMs();
      if (wait > 0) await sleep(wait);
      const batch: OutgoingMessage[] = [];
      const recorded: { id: string; topic: string; key: string; num: number }[] = [];
      for (let i = 0; i < p.batchSize; i++) {
        const k = p.random ? Math.floor(Math.random() * p.keys.length) : (this.n + i) % p.keys.length;
        const key = p.keys[k]!;
        // Values with one decimal: sums stay exact enough to compare, averages are not integers.
        const num = Math.round(Math.random() * 1000) / 10;
        const seq = this.seq++;
        const payload = encodeEvent(p.messageSize, this.process, seq, intended, num);
        batch.push({ topic: p.topic, key, payload, id: messageId(this.process, seq) });
        recorded.push({ id: messageId(this.process, seq), topic: p.topic, key, num });
      }
      this.n += batch.length;
      const now = wallMs();
      for (const m of batch) stampSent(m.payload as Buffer, now);
      p.recorder?.sendLine("invoke", this.process, recorded);
      p.metrics.onSending(batch.length);
      try {
        let acks = await producer.send(batch);
        if (this.ackLoss) {
          // The acknowledgement never arrived: the client sends the batch again.
          acks = await (producer.retry ?? producer.send).call(producer, batch);
        }
        p.recorder?.sendLine(
          "ok",
          this.process,
          recorded.map((m, i) => ({ ...m, partition: acks[i]!.partition, offset: acks[i]!.offset })),
        );
        this.acked += batch.length;
        p.metrics.onAcked(batch.length, intended, now, wallMs());
        for (const m of recorded) this.ackedIds.add(m.id);
      } catch (err) {
        const definite = err instanceof SendError && err.definite;
        p.recorder?.sendLine(definite ? "fail" : "info", this.process, recorded, errorText(err));
        p.metrics.onSendFailed(batch.length, definite);
        if (!definite) {
          // An unknown outcome spends the process: the next batch comes from a new one.
          await this.producer?.close().catch(() => {});
          this.producer = null;
        }
        await sleep(50);
      }
    }
  }

  async close(): Promise<void> {
    await this.producer?.close().catch(() => {});
    this.producer = null;
  }
}

/** The verifier group: reads every update, records it, times it from its input's send. */
export class Verifier {
  /** Input ids some update of which was read. */
  readonly covered = new Set<string>();
  readonly latenciesMs: { readonly atMs: number; readonly ms: number; readonly inputSentMs: number }[] = [];
  lastReadMs = 0;
  private readonly seen = new Set<string>();
  private consumer: PullConsumer | null = null;
  private process = 0;
  private loop: Promise<void> = Promise.resolve();
  private stopped = false;
  private dead = false;

  constructor(
    private readonly adapter: Adapter,
    private readonly recorder: HistoryRecorder | null,
    private readonly topic: string,
    /** On the broker, and in the history. */
    private readonly group: string,
    private readonly historyGroup: string,
    private readonly nextProcess: () => number,
    private readonly warn: (line: string) => void,
    /** The run's figures: the verifier is their only group; latency is input event → update. */
    private readonly metrics: RunMetrics,
  ) {}

  async start(): Promise<void> {
    this.dead = false;
    this.process = this.nextProcess();
    const process = this.process;
    const c = await this.adapter.createConsumer({
      process,
      group: this.group,
      topics: [this.topic],
      delivery: "pull",
      mode: "at-least-once",
      start: "earliest",
      prefetch: 1000,
      onAssign: (a) => this.recorder?.assign(process, this.historyGroup, a),
    });
    if (c.delivery !== "pull") throw new Error("the verifier reads by pull");
    this.consumer = c;
    this.loop = this.read(c, process);
  }

  private async read(c: PullConsumer, process: number): Promise<void> {
    while (!this.stopped && !this.dead) {
      this.recorder?.pollInvoke(process, this.historyGroup);
      let batch: readonly Delivery[];
      try {
        batch = await c.poll(1000, 100);
      } catch (err) {
        if (this.dead || this.stopped) return;
        this.recorder?.info(process, "poll", this.historyGroup, errorText(err));
        this.warn(`verifier: ${errorText(err)}; rejoining as a new process`);
        await c.close().catch(() => {});
        await sleep(200);
        // Killed meanwhile (an outage): whoever ends it starts the next one.
        if (this.dead || this.stopped) return;
        await this.start().catch((e) => this.warn(`verifier restart: ${errorText(e)}`));
        return;
      }
      const procs = new Uint32Array(batch.length);
      const seqs = new Uint32Array(batch.length);
      const now = wallMs();
      batch.forEach((d, i) => {
        const h = decodePayload(d.payload);
        procs[i] = h.process;
        seqs[i] = h.sequence;
        const id = messageId(h.process, h.sequence);
        if (this.seen.has(id)) return;
        this.seen.add(id);
        const u = decodeUpdate(d.payload);
        const input = messageId(u.inputProcess, u.inputSequence);
        if (!this.covered.has(input)) {
          this.covered.add(input);
          if (u.inputSentMs !== null) {
            this.latenciesMs.push({ atMs: now, ms: now - u.inputSentMs, inputSentMs: u.inputSentMs });
            this.metrics.onEndToEnd(1, u.inputSentMs, u.inputSentMs, now);
          }
        }
      });
      if (batch.length > 0) {
        this.lastReadMs = now;
        this.metrics.onDelivered(0, batch.length, now, procs, seqs);
      }
      this.recorder?.pollOk(process, this.historyGroup, batch, { procs, seqs });
      if (batch.length > 0) {
        try {
          this.recorder?.commit(
            process,
            this.historyGroup,
            await c.commit(batch),
            { procs, seqs },
            batch.length,
          );
        } catch (err) {
          if (this.dead || this.stopped) return;
          this.recorder?.info(process, "commit", this.historyGroup, errorText(err));
        }
      }
    }
  }

  /** Killed with the broker (an outage); `start` brings a new process. */
  async kill(): Promise<void> {
    this.dead = true;
    this.recorder?.crash(this.process);
    await this.consumer?.kill?.().catch(() => {});
    await this.loop;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.consumer?.close().catch(() => {});
  }
}
