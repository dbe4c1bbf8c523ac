/**
 * The slow-consumer experiment: a producer at a fixed rate for DURATION_S; the consumer stops
 * reading for PAUSE_S in the middle, then drains. What did it lose, what came twice?
 * Run on redis-pubsub (push, fire-and-forget) and redis-streams (pull, XREADGROUP + XACK), at two
 * message sizes: below and above what Redis' `client-output-buffer-limit pubsub` (default
 * 32mb hard, 8mb/60 s soft) lets a stalled subscriber pile up on the server.
 * Loss and duplicates are counted by the checkers from the recorded history.
 *
 * Env: BENCH_SLOW_RATE (5000 msg/s), BENCH_SLOW_SECONDS (20), BENCH_SLOW_PAUSE_S (10),
 *      BENCH_SLOW_SIZES ("100,1000" bytes), BENCH_REDIS_URL.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import type {
  Adapter,
  CommitValue,
  Delivery,
  DeliveryMode,
  DeliveryStyle,
  SendAck,
} from "../adapters/contract.js";
import { findAdapter } from "../adapters/registry.js";
import { checkHistoryFile } from "../checkers/index.js";
import { wallMs } from "../core/clock.js";
import { decodePayload, encodePayload, stampSent } from "../core/payload.js";
import { type DeliveredIds, HistoryRecorder } from "../harness/history/index.js";
import type { Benchmark } from "./bench.js";

const RATE = Number(process.env["BENCH_SLOW_RATE"] ?? 5000);
const DURATION_S = Number(process.env["BENCH_SLOW_SECONDS"] ?? 20);
const PAUSE_S = Number(process.env["BENCH_SLOW_PAUSE_S"] ?? 10);
const SIZES = (process.env["BENCH_SLOW_SIZES"] ?? "100,1000").split(",").map(Number);
const REDIS_URL = process.env["BENCH_REDIS_URL"] ?? "redis://127.0.0.1:6379";
const TICK_MS = 10;
const PRODUCER = 1;
const CONSUMER = 100;
const GROUP = "slow";
/** Push: deliveries the client buffers before it stops reading the socket. */
const PREFETCH = 1000;
/** After the producer stops: a drain ends when everything arrived or nothing new for this long. */
const QUIET_MS = 3000;
/** The bounded-stream case: XADD MAXLEN ~ this, well under the backlog of one pause. */
const MAXLEN = Math.round((RATE * PAUSE_S) / 5);

interface Case {
  readonly adapter: "redis-pubsub" | "redis-streams";
  readonly delivery: DeliveryStyle;
  readonly mode: DeliveryMode;
  readonly size: number;
  /** redis-streams: XADD MAXLEN ~ n (0: unbounded). */
  readonly maxLen: number;
}

interface Outcome {
  readonly sent: number;
  readonly acknowledged: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly reconnects: number;
  readonly peakServerOutputBufferMB: number;
  readonly drainMs: number;
  /** Longest send-to-processing time seen: shows the stop really happened. */
  readonly maxLatencyMs: number;
  readonly valid: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function idsOf(batch: readonly Delivery[]): DeliveredIds {
  const procs = new Uint32Array(batch.length);
  const seqs = new Uint32Array(batch.length);
  batch.forEach((d, i) => {
    const h = decodePayload(d.payload);
    procs[i] = h.process;
    seqs[i] = h.sequence;
  });
  return { procs, seqs };
}

/** Peak output-buffer memory (omem) of our consumer connection on the server, sampled. */
class OutputBufferProbe {
  peakBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  constructor(private readonly redis: Redis) {}
  start(): void {
    this.timer = setInterval(() => {
      void this.redis
        .client("LIST")
        .then((list) => {
          for (const line of String(list).split("\n")) {
            if (!line.includes(`name=brokerbench-c${CONSUMER} `)) continue;
            const omem = Number(/ omem=(\d+)/.exec(line)?.[1] ?? 0);
            this.peakBytes = Math.max(this.peakBytes, omem);
          }
        })
        .catch(() => {});
    }, 250);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

async function runCase(c: Case, dir: string): Promise<Outcome> {
  const adapter: Adapter = await findAdapter(c.adapter).connect(
    c.maxLen > 0 ? { url: REDIS_URL, maxLen: String(c.maxLen) } : { url: REDIS_URL },
  );
  const probe = new Redis(REDIS_URL, { lazyConnect: true });
  await probe.connect();
  const path = join(dir, `${c.adapter}-${c.size}-${c.maxLen}.jsonl`);
  const history = new HistoryRecorder(path);
  const topic = `bb-slow-${c.adapter}-${c.size}-${c.maxLen}-${process.pid}`;
  history.meta({
    adapter: c.adapter,
    workload: "slow-consumer",
    model: adapter.capabilities.model,
    expect: { delivery: c.mode, order: "none" },
  });
  await adapter.createTopic({ name: topic, partitions: 1 });

  const started = wallMs();
  const pauseFrom = started + ((DURATION_S - PAUSE_S) / 2) * 1000;
  const pauseUntil = pauseFrom + PAUSE_S * 1000;
  const seen = new Set<number>();
  let deliveries = 0;
  let maxLatencyMs = 0;
  let stopped = false;

  const handle = async (
    consumer: { commit(d: readonly Delivery[]): Promise<CommitValue> },
    batch: readonly Delivery[],
  ) => {
    // Stops reading: a push handler that does not return holds the adapter's dispatch, a pull loop stops polling.
    const now = wallMs();
    if (now >= pauseFrom && now < pauseUntil) await sleep(pauseUntil - now);
    const ids = idsOf(batch);
    history.pollOk(CONSUMER, GROUP, batch, ids);
    if (batch.length === 0) return;
    const at = wallMs();
    for (let i = 0; i < batch.length; i++) {
      seen.add(ids.seqs[i]!);
      maxLatencyMs = Math.max(maxLatencyMs, at - decodePayload(batch[i]!.payload).sentMs);
    }
    deliveries += batch.length;
    const value = await consumer.commit(batch);
    history.commit(CONSUMER, GROUP, value, ids, batch.length);
  };

  const consumer = await adapter.createConsumer({
    process: CONSUMER,
    group: GROUP,
    topics: [topic],
    delivery: c.delivery,
    mode: c.mode,
    start: "latest",
    prefetch: PREFETCH,
    onAssign: (a) => history.assign(CONSUMER, GROUP, a),
  });
  let pullLoop: Promise<void> = Promise.resolve();
  if (consumer.delivery === "push") {
    await consumer.start((batch) => handle(consumer, batch));
  } else {
    pullLoop = (async () => {
      while (!stopped) {
        const now = wallMs();
        if (now >= pauseFrom && now < pauseUntil) await sleep(pauseUntil - now);
        history.pollInvoke(CONSUMER, GROUP);
        await handle(consumer, await consumer.poll(500, 100));
      }
    })();
  }
  const outputProbe = new OutputBufferProbe(probe);
  outputProbe.start();

  // Producer: constant rate, TICK_MS slots, catching up when behind (intended time in the payload).
  const producer = await adapter.createProducer({ process: PRODUCER, mode: c.mode, idempotent: false });
  const perTick = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
  const total = Math.round(RATE * DURATION_S);
  let seq = 0;
  let acknowledged = 0;
  while (seq < total) {
    const intended = started + (seq / RATE) * 1000;
    const wait = intended - wallMs();
    if (wait > 0) await sleep(wait);
    const n = Math.min(perTick, total - seq);
    const batch = { process: PRODUCER, topic, firstSeq: seq, count: n, keys: null };
    const outgoing = [];
    for (let i = 0; i < n; i++) {
      const payload = encodePayload(c.size, PRODUCER, seq + i, started + ((seq + i) / RATE) * 1000);
      stampSent(payload, wallMs());
      outgoing.push({ topic, key: null, payload });
    }
    history.sendInvoke(batch);
    try {
      const acks: readonly SendAck[] = await producer.send(outgoing);
      history.sendOk(batch, acks);
      acknowledged += n;
    } catch (err) {
      history.sendFailed(batch, false, (err as Error).message);
    }
    seq += n;
  }
  await producer.close();

  // Drain.
  const drainFrom = wallMs();
  history.drain(GROUP, false);
  let last = -1;
  let quietSince = wallMs();
  while (seen.size < acknowledged) {
    if (deliveries !== last) {
      last = deliveries;
      quietSince = wallMs();
    } else if (wallMs() - quietSince > QUIET_MS) break;
    await sleep(50);
  }
  const drainMs = wallMs() - drainFrom;
  history.drain(GROUP, true);
  stopped = true;
  await pullLoop;
  outputProbe.stop();
  const reconnects = (consumer as unknown as { reconnects?: number }).reconnects ?? 0;
  await consumer.close();
  await history.close();
  await adapter.deleteTopic(topic);
  await adapter.close();
  await probe.quit();

  const v = await checkHistoryFile(path, { expect: { delivery: c.mode, order: "none" } });
  const g = v.groups.find((x) => x.group === GROUP);
  return {
    sent: total,
    acknowledged: v.messages.acknowledged,
    delivered: g?.delivered ?? 0,
    lost: g?.anomalies.lost?.count ?? 0,
    duplicates: g?.anomalies["duplicate-delivery"]?.count ?? 0,
    reconnects,
    peakServerOutputBufferMB: Math.round((outputProbe.peakBytes / 2 ** 20) * 10) / 10,
    drainMs: Math.round(drainMs),
    maxLatencyMs: Math.round(maxLatencyMs),
    valid: v.valid,
  };
}

export const slowConsumerBenchmark: Benchmark = {
  name: "slow-consumer",
  describe: `producer at ${RATE} msg/s for ${DURATION_S} s, consumer stops reading for ${PAUSE_S} s in the middle: what is lost (redis-pubsub push vs redis-streams pull)`,
  async run() {
    const dir = await mkdtemp(join(tmpdir(), "bb-slow-"));
    const out: Record<string, number | string> = {};
    try {
      for (const size of SIZES) {
        const cases: Case[] = [
          { adapter: "redis-pubsub", delivery: "push", mode: "at-most-once", size, maxLen: 0 },
          { adapter: "redis-streams", delivery: "pull", mode: "at-least-once", size, maxLen: 0 },
        ];
        // Bounded retention: the backlog outgrows the stream while the consumer is away (once, smallest size).
        if (size === SIZES[0]) {
          cases.push({
            adapter: "redis-streams",
            delivery: "pull",
            mode: "at-least-once",
            size,
            maxLen: MAXLEN,
          });
        }
        for (const c of cases) {
          const o = await runCase(c, dir);
          const label = `${c.adapter}-${size}B${c.maxLen > 0 ? `-maxlen${c.maxLen}` : ""}`;
          console.log(
            `${label} (${c.delivery}, ${c.mode}): sent ${o.sent}, acknowledged ${o.acknowledged}, delivered ${o.delivered}, ` +
              `lost ${o.lost}, duplicates ${o.duplicates}, resubscribes ${o.reconnects}, ` +
              `peak server output buffer ${o.peakServerOutputBufferMB} MB, max latency ${o.maxLatencyMs} ms, ` +
              `drain ${o.drainMs} ms, valid under ${c.mode}: ${o.valid}`,
          );
          out[`${label}.lostMsgs`] = o.lost;
          out[`${label}.duplicateMsgs`] = o.duplicates;
          out[`${label}.deliveredMsgs`] = o.delivered;
          out[`${label}.acknowledgedMsgs`] = o.acknowledged;
          out[`${label}.resubscribes`] = o.reconnects;
          out[`${label}.peakServerOutputBufferMB`] = o.peakServerOutputBufferMB;
          out[`${label}.drainMs`] = o.drainMs;
          out[`${label}.maxLatencyMs`] = o.maxLatencyMs;
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return out;
  },
};
