/**
 * Throughput of the embedded reference adapter alone (no runner, no history): 1 producer → 1
 * partition → 1 consumer, 100-byte messages, batches of 100, as fast as possible, for pull, push
 * with a credit window and push into a buffer. Bounds what the runner can reach end to end
 * (target there: ≥ 1,000,000 msg/s), so this figure must be well above it.
 *
 * Run: `npm run bench -- reference-embedded`.
 */
import type { Delivery, OutgoingMessage } from "../adapters/contract.js";
import { connectEmbedded } from "../adapters/reference/client/adapter.js";
import { encodePayload } from "../core/payload.js";
import type { Benchmark } from "./bench.js";

const MESSAGES = Number(process.env["BENCH_REFERENCE_MESSAGES"] ?? 2_000_000);
const BATCH = 100;

async function measure(variant: "pull" | "push-credit" | "push-buffer"): Promise<number> {
  const settings: Record<string, string> =
    variant === "push-buffer"
      ? { push: "buffer", pushBuffer: "100000", overflow: "disconnect" }
      : { push: "credit" };
  const a = await connectEmbedded(settings);
  await a.createTopic({ name: "bench", partitions: 1 });
  const producer = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
  const consumer = await a.createConsumer({
    process: 2,
    group: "g",
    topics: ["bench"],
    delivery: variant === "pull" ? "pull" : "push",
    mode: "at-least-once",
    start: "earliest",
    prefetch: 10_000,
  });
  // Payloads made once: the benchmark measures the broker path, not payload encoding.
  const batches: OutgoingMessage[][] = [];
  for (let b = 0; b < 16; b++) {
    const msgs: OutgoingMessage[] = [];
    for (let i = 0; i < BATCH; i++) {
      msgs.push({ topic: "bench", key: null, payload: encodePayload(100, 1, b * BATCH + i, 0) });
    }
    batches.push(msgs);
  }
  let received = 0;
  const started = performance.now();
  let commits: Promise<unknown> = Promise.resolve();
  const consumed = new Promise<void>((resolve, reject) => {
    const onBatch = (ds: readonly Delivery[]) => {
      received += ds.length;
      commits = consumer.commit(ds);
      if (received >= MESSAGES) resolve();
    };
    if (consumer.delivery === "push") {
      void consumer.start(onBatch);
    } else {
      const loop = async () => {
        while (received < MESSAGES) onBatch(await consumer.poll(1000, 100));
      };
      loop().catch(reject);
    }
  });
  // Produce with a bounded lead over the consumer, as a real producer with limited memory would.
  for (let sent = 0; sent < MESSAGES; sent += BATCH) {
    await producer.send(batches[(sent / BATCH) % batches.length]!);
    if (sent - received > 50_000) await new Promise((r) => setImmediate(r));
  }
  await consumed;
  await commits;
  const seconds = (performance.now() - started) / 1000;
  await a.close();
  return Math.round(received / seconds);
}

export const referenceEmbeddedBenchmark: Benchmark = {
  name: "reference-embedded",
  describe: "embedded reference adapter alone: 1 producer → 1 partition → 1 consumer, 100 B, batches of 100",
  async run() {
    const out: Record<string, number> = {};
    for (const v of ["pull", "push-credit", "push-buffer"] as const) {
      const rate = await measure(v);
      out[`${v.replace("-", "")}MsgsPerSec`] = rate;
      console.log(`  ${v.padEnd(12)} ${rate.toLocaleString("en-US")} msg/s`);
    }
    return out;
  },
};
