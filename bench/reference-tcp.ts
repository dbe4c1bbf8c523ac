/**
 * The reference broker over TCP on loopback (issue 3's figures), all in one run so they compare as
 * ratios: 100-byte messages, 1 producer → 1 partition → 1 consumer, batches of 100, through the
 * reference adapter (url=) against a `brokerbench broker` child process.
 *
 *  1. Ceiling: a plain Node TCP stream of 100-byte length-prefixed frames, batches of 100.
 *  2. Throughput end to end with --flush none (target ≥ 500,000 msg/s) and with --flush always
 *     (producer acks=flushed: every batch fsynced, group-committed, before its ack).
 *  3. p50/p99 end-to-end latency (intended send time → consumer) at half the --flush none rate.
 *  4. Push without credit (bounded buffer, drop on overflow) to a consumer that stops reading:
 *     the broker's peak RSS stays bounded while the producer pushes far more than fits, and the
 *     drops are counted by the broker.
 *
 * Env: BENCH_TCP_MESSAGES (1,000,000), BENCH_TCP_SECONDS_ALWAYS (3), BENCH_TCP_LATENCY_SECONDS (3),
 *      BENCH_TCP_STALL_MESSAGES (2,000,000), BENCH_TCP_INFLIGHT (8 sends in flight).
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "hdr-histogram-js";
import type { Adapter, OutgoingMessage, PullConsumer } from "../adapters/contract.js";
import { ReferenceClient } from "../adapters/reference/client/client.js";
import { referenceAdapter } from "../adapters/reference/index.js";
import { APIS } from "../adapters/reference/protocol/apis.js";
import { type ChildBroker, peakRssBytes, startChildBroker } from "../adapters/reference/server/child.js";
import { encodePayload } from "../core/payload.js";
import type { Benchmark } from "./bench.js";

const MESSAGES = Number(process.env["BENCH_TCP_MESSAGES"] ?? 1_000_000);
const ALWAYS_SECONDS = Number(process.env["BENCH_TCP_SECONDS_ALWAYS"] ?? 3);
const LATENCY_SECONDS = Number(process.env["BENCH_TCP_LATENCY_SECONDS"] ?? 3);
const STALL_MESSAGES = Number(process.env["BENCH_TCP_STALL_MESSAGES"] ?? 2_000_000);
const INFLIGHT = Number(process.env["BENCH_TCP_INFLIGHT"] ?? 8);
const BATCH = 100;
const SIZE = 100;
const TOPIC = "bench";

const SERVER_ENTRY = fileURLToPath(new URL("../adapters/reference/server/main.js", import.meta.url));

const nowMs = () => performance.timeOrigin + performance.now();
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** 1. The ceiling: length-prefixed 100-byte frames over one loopback socket, 100 per write. */
async function plainTcpMsgsPerSec(total: number): Promise<number> {
  const frame = Buffer.alloc(4 + SIZE);
  frame.writeUInt32BE(SIZE, 0);
  const batch = Buffer.concat(Array.from({ length: BATCH }, () => frame));
  let received = 0;
  let start = 0;
  const done = new Promise<number>((resolve) => {
    const server = net.createServer((s) => {
      let pending: Buffer = Buffer.alloc(0);
      s.on("data", (chunk: Buffer) => {
        let buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
        let p = 0;
        while (buf.length - p >= 4) {
          const n = buf.readUInt32BE(p);
          if (buf.length - p < 4 + n) break;
          p += 4 + n;
          received++;
        }
        pending = buf.subarray(p);
        buf = pending;
        if (received >= total) {
          resolve(total / ((nowMs() - start) / 1000));
          s.destroy();
          server.close();
        }
      });
    });
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      const c = net.connect(port, "127.0.0.1", () => {
        start = nowMs();
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            sent += BATCH;
            if (!c.write(batch)) {
              c.once("drain", pump);
              return;
            }
          }
          c.end();
        };
        pump();
      });
      c.on("error", () => {});
    });
  });
  return done;
}

interface Pipeline {
  readonly adapter: Adapter;
  readonly broker: ChildBroker;
  readonly dataDir: string;
  close(): Promise<void>;
}

async function startPipeline(flush: "none" | "always", acks: "leader" | "flushed"): Promise<Pipeline> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `bb-bench-tcp-${flush}-`));
  const broker = await startChildBroker(SERVER_ENTRY, ["--data-dir", dataDir, "--flush", flush]);
  const adapter = await referenceAdapter.connect({ url: `127.0.0.1:${broker.port}`, acks });
  await adapter.createTopic({ name: TOPIC, partitions: 1 });
  return {
    adapter,
    broker,
    dataDir,
    async close() {
      await adapter.close();
      broker.child.kill("SIGTERM");
      await broker.exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function pullConsumer(adapter: Adapter, process: number): Promise<PullConsumer> {
  const c = await adapter.createConsumer({
    process,
    group: `g${process}`,
    topics: [TOPIC],
    delivery: "pull",
    mode: "at-most-once",
    start: "earliest",
    prefetch: 10_000,
  });
  if (c.delivery !== "pull") throw new Error("pull consumer expected");
  return c;
}

/** Producer with up to INFLIGHT sends outstanding, until `total` messages or `untilMs`. */
async function produce(
  adapter: Adapter,
  total: number,
  untilMs: number,
  payloadAt: (seq: number) => Buffer,
  pace?: { readonly ratePerSec: number; readonly startMs: number },
): Promise<number> {
  const producer = await adapter.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
  let next = 0;
  const lane = async () => {
    while (next < total && nowMs() < untilMs) {
      const from = next;
      next += BATCH;
      if (pace !== undefined) {
        const due = pace.startMs + (from / pace.ratePerSec) * 1000;
        const wait = due - nowMs();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const batch: OutgoingMessage[] = new Array(BATCH);
      for (let i = 0; i < BATCH; i++) batch[i] = { topic: TOPIC, key: null, payload: payloadAt(from + i) };
      await producer.send(batch);
    }
  };
  await Promise.all(Array.from({ length: pace === undefined ? INFLIGHT : 4 }, lane));
  await producer.close();
  return Math.min(next, total);
}

/** What one write of a 100-message batch plus fdatasync costs on this disk: the floor under --flush always. */
function fsyncMs(): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bb-fsync-"));
  const fd = fs.openSync(path.join(dir, "probe"), "w");
  const buf = Buffer.alloc(BATCH * (SIZE + 8) + 43, 1);
  const n = 200;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    fs.writeSync(fd, buf);
    fs.fdatasyncSync(fd);
  }
  const ms = (performance.now() - t) / n;
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
  return ms;
}

/** 2. Messages per second from the first send to the last delivery. */
async function endToEnd(
  flush: "none" | "always",
  acks: "leader" | "flushed",
  total: number,
  seconds: number,
) {
  const p = await startPipeline(flush, acks);
  try {
    const consumer = await pullConsumer(p.adapter, 2);
    const shared = encodePayload(SIZE, 1, 0, 0);
    const start = nowMs();
    let produced = -1;
    let consumed = 0;
    const producing = produce(p.adapter, total, start + seconds * 1000, () => shared).then((n) => {
      produced = n;
    });
    while (produced < 0 || consumed < produced) {
      consumed += (await consumer.poll(10_000, 100)).length;
    }
    await producing;
    const elapsedS = (nowMs() - start) / 1000;
    await consumer.close();
    return { messages: consumed, msgsPerSec: consumed / elapsedS };
  } finally {
    await p.close();
  }
}

/** 3. Latency at a fixed rate: intended send time (in the payload) to delivery. */
async function latencyAt(ratePerSec: number, seconds: number) {
  const p = await startPipeline("none", "leader");
  try {
    const consumer = await pullConsumer(p.adapter, 2);
    const hist = build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    const total = Math.floor(ratePerSec * seconds);
    const start = nowMs() + 50;
    let produced = -1;
    const producing = produce(
      p.adapter,
      total,
      Number.POSITIVE_INFINITY,
      // A batch's slot in the constant-rate schedule is its intended send time, for all its messages.
      (seq) => encodePayload(SIZE, 1, seq, start + ((seq - (seq % BATCH)) / ratePerSec) * 1000),
      { ratePerSec, startMs: start },
    ).then((n) => {
      produced = n;
    });
    let consumed = 0;
    while (produced < 0 || consumed < produced) {
      const got = await consumer.poll(10_000, 100);
      const now = nowMs();
      for (const d of got) {
        const intended = Buffer.from(
          d.payload.buffer,
          d.payload.byteOffset,
          d.payload.byteLength,
        ).readDoubleLE(12);
        hist.recordValue(Math.max(1, Math.round((now - intended) * 1000)));
      }
      consumed += got.length;
    }
    await producing;
    await consumer.close();
    const r = {
      messages: consumed,
      p50Ms: hist.getValueAtPercentile(50) / 1000,
      p99Ms: hist.getValueAtPercentile(99) / 1000,
      maxMs: hist.maxValue / 1000,
    };
    hist.destroy();
    return r;
  } finally {
    await p.close();
  }
}

/** 4. Push without credit into a consumer that never reads: bounded broker memory, counted drops. */
async function stalledPush(total: number) {
  const p = await startPipeline("none", "leader");
  try {
    const rssBefore = peakRssBytes(p.broker.child.pid!);
    const sub = await ReferenceClient.connect({ host: "127.0.0.1", port: p.broker.port });
    let pushed = 0;
    const s = sub.subscribePushes(() => {
      pushed++;
    });
    const capacity = 10_000;
    const r = await sub.request(APIS.subscribe, {
      subscriptionId: s.id,
      isolation: "read_uncommitted",
      group: null,
      flow: { kind: "buffer", capacity, overflow: "drop" },
      positions: [{ topic: TOPIC, partition: 0, offset: 0 }],
    });
    if (r.errorCode !== 0) throw new Error(`subscribe: ${r.errorMessage}`);
    sub.pauseReading(); // the consumer stalls: it never reads its socket again until the end
    const shared = encodePayload(SIZE, 1, 0, 0);
    await produce(p.adapter, total, Number.POSITIVE_INFINITY, () => shared);
    const peak = peakRssBytes(p.broker.child.pid!);
    sub.resumeReading();
    const stats = await sub.request(APIS.subscriptionStats, { subscriptionId: s.id });
    sub.destroy();
    return {
      produced: total,
      droppedMessages: stats.droppedMessages,
      deliveredMessages: stats.deliveredMessages,
      bufferCapacity: capacity,
      brokerPeakRssMb: peak === null ? Number.NaN : peak / 2 ** 20,
      brokerRssAtStartMb: rssBefore === null ? Number.NaN : rssBefore / 2 ** 20,
      pushFramesSeen: pushed,
    };
  } finally {
    await p.close();
  }
}

export const referenceTcpBenchmark: Benchmark = {
  name: "reference-tcp",
  describe:
    "reference broker over TCP: end-to-end msg/s (flush none / always), p99 at half rate, plain-TCP ceiling, stalled push",
  async run() {
    if (!fs.existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\``);
    const ceiling = await plainTcpMsgsPerSec(Math.max(MESSAGES, 2_000_000));
    console.log(`plain Node TCP, 100-byte length-prefixed frames: ${fmt(ceiling)} msg/s (ceiling)`);
    const none = await endToEnd("none", "leader", MESSAGES, 60);
    console.log(
      `--flush none, acks=leader: ${fmt(none.msgsPerSec)} msg/s end to end (${fmt(none.messages)} messages; target ≥ 500,000); ` +
        `${(none.msgsPerSec / ceiling).toFixed(3)} of the plain-TCP ceiling`,
    );
    const syncMs = fsyncMs();
    const always = await endToEnd("always", "flushed", MESSAGES, ALWAYS_SECONDS);
    console.log(
      `--flush always, acks=flushed: ${fmt(always.msgsPerSec)} msg/s end to end (${fmt(always.messages)} messages; ` +
        `this disk's write+fdatasync of one batch: ${syncMs.toFixed(3)} ms, so one fsync per batch alone would allow ` +
        `${fmt((BATCH * 1000) / syncMs)} msg/s; group commit shares fsyncs between the ${INFLIGHT} sends in flight)`,
    );
    const rate = Math.floor(none.msgsPerSec / 2 / BATCH) * BATCH;
    const lat = await latencyAt(rate, LATENCY_SECONDS);
    console.log(
      `latency at ${fmt(rate)} msg/s (half the flush-none rate): p50 ${lat.p50Ms.toFixed(2)} ms, p99 ${lat.p99Ms.toFixed(2)} ms, max ${lat.maxMs.toFixed(2)} ms`,
    );
    const stall = await stalledPush(STALL_MESSAGES);
    console.log(
      `push without credit (buffer ${fmt(stall.bufferCapacity)}, drop) to a stalled consumer: ${fmt(stall.produced)} produced, ` +
        `${fmt(stall.droppedMessages)} dropped (counted), ${fmt(stall.deliveredMessages)} delivered; ` +
        `broker peak RSS ${stall.brokerPeakRssMb.toFixed(0)} MB (${stall.brokerRssAtStartMb.toFixed(0)} MB at start; ` +
        `${((stall.produced * SIZE) / 2 ** 20).toFixed(0)} MB of payload went through)`,
    );
    return {
      plainTcpMsgsPerSec: Math.round(ceiling),
      flushNoneMsgsPerSec: Math.round(none.msgsPerSec),
      flushNoneToCeilingRatio: Number((none.msgsPerSec / ceiling).toFixed(3)),
      flushAlwaysMsgsPerSec: Math.round(always.msgsPerSec),
      fdatasyncMs: Number(syncMs.toFixed(3)),
      latencyRateMsgsPerSec: rate,
      e2eLatencyP50Ms: Number(lat.p50Ms.toFixed(3)),
      e2eLatencyP99Ms: Number(lat.p99Ms.toFixed(3)),
      stalledPushDroppedMessages: stall.droppedMessages,
      stalledPushBrokerPeakRssMb: Number(stall.brokerPeakRssMb.toFixed(1)),
    };
  },
};

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await referenceTcpBenchmark.run(), null, 2));
}
