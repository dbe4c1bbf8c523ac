/**
 * What a push subscription on the Pub/Sub emulator delivers, against the push endpoint's
 * slowness, and what StreamingPull and unary Pull deliver on the same emulator: a backlog of
 * MESSAGES is published first, then drained; messages/s from the first delivery to the last.
 *
 * Push cases: a bare HTTP endpoint answering 204 after 0, 5 and 20 ms (the emulator keeps at most
 * two requests in flight per subscription, so the ceiling should be 2 / (round trip + delay)),
 * and the adapter's own endpoint and push consumer (ack at once). Pull cases: the adapter's
 * consumers, acking each batch. Figures from an emulator say nothing about the service.
 *
 * Env: BENCH_PUBSUB_URL (127.0.0.1:8085), BENCH_PUBSUB_MESSAGES (2000).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Adapter, Delivery } from "../adapters/contract.js";
import { pubsubFactory } from "../adapters/pubsub/index.js";
import type { Benchmark } from "./bench.js";

const URL = process.env["BENCH_PUBSUB_URL"] ?? "127.0.0.1:8085";
const MESSAGES = Number(process.env["BENCH_PUBSUB_MESSAGES"] ?? 2000);

async function publishBacklog(adapter: Adapter, topic: string): Promise<void> {
  const producer = await adapter.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
  try {
    for (let i = 0; i < MESSAGES; i += 100) {
      await producer.send(
        Array.from({ length: Math.min(100, MESSAGES - i) }, () => ({
          topic,
          key: null,
          payload: Buffer.alloc(100, 7),
        })),
      );
    }
  } finally {
    await producer.close();
  }
}

/** Messages/s through a bare endpoint that answers 204 after `delayMs`, and its most requests in flight. */
async function bareEndpoint(adapter: Adapter, topic: string, delayMs: number): Promise<[number, number]> {
  let got = 0;
  let first = 0;
  let last = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (first === 0) first = performance.now();
      setTimeout(() => {
        inFlight--;
        got++;
        last = performance.now();
        res.writeHead(204).end();
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const raw = (adapter as unknown as { admin: import("@google-cloud/pubsub").PubSub }).admin;
  const sub = `${topic}.bare`;
  await raw.topic(topic).createSubscription(sub, {
    pushConfig: { pushEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` },
  });
  try {
    await publishBacklog(adapter, topic);
    while (got < MESSAGES) await new Promise((r) => setTimeout(r, 20));
    return [(MESSAGES - 1) / ((last - first) / 1000), maxInFlight];
  } finally {
    server.closeAllConnections();
    server.close();
    await raw.subscription(sub).delete();
  }
}

/** Messages/s through the adapter's consumer of `delivery` (commit each batch at once). */
async function adapterConsumer(adapter: Adapter, topic: string, delivery: "push" | "pull"): Promise<number> {
  const consumer = await adapter.createConsumer({
    process: 2,
    group: `g-${delivery}`,
    topics: [topic],
    delivery,
    mode: "at-least-once",
    start: "earliest",
    prefetch: 1000,
  });
  let got = 0;
  let first = 0;
  let last = 0;
  const take = async (batch: readonly Delivery[]) => {
    if (batch.length === 0) return;
    if (first === 0) first = performance.now();
    await consumer.commit(batch);
    got += batch.length;
    last = performance.now();
  };
  try {
    if (consumer.delivery === "push") await consumer.start(take);
    await publishBacklog(adapter, topic);
    while (got < MESSAGES) {
      if (consumer.delivery === "pull") await take(await consumer.poll(500, 100));
      else await new Promise((r) => setTimeout(r, 20));
    }
    return (MESSAGES - 1) / ((last - first) / 1000);
  } finally {
    await consumer.close();
  }
}

export const pubsubPushBenchmark: Benchmark = {
  name: "pubsub-push",
  describe: `Pub/Sub emulator at ${URL}: push throughput against endpoint delay, and pull (${MESSAGES} messages each)`,
  async run() {
    const out: Record<string, number> = {};
    const cases: [string, (a: Adapter, topic: string) => Promise<number>][] = [
      ...[0, 5, 20].map(
        (delayMs) =>
          [
            `bare endpoint, ${delayMs} ms`,
            async (a: Adapter, t: string) => {
              const [rate, window] = await bareEndpoint(a, t, delayMs);
              out[`push requests in flight at most (${delayMs} ms)`] = window;
              return rate;
            },
          ] as [string, (a: Adapter, topic: string) => Promise<number>],
      ),
      ["adapter push consumer", (a, t) => adapterConsumer(a, t, "push")],
      ["adapter streaming pull", (a, t) => adapterConsumer(a, t, "pull")],
    ];
    const unary = await pubsubFactory.connect({ url: URL, pull: "unary" });
    const adapter = await pubsubFactory.connect({ url: URL });
    try {
      for (const [label, run] of cases) {
        const topic = `bb-bench-push-${process.pid}`;
        await adapter.createTopic({ name: topic, partitions: 1 });
        try {
          const rate = await run(adapter, topic);
          out[`${label} msg/s`] = Math.round(rate);
          console.log(`${label}: ${Math.round(rate)} msg/s`);
        } finally {
          await adapter.deleteTopic(topic);
        }
      }
      const topic = `bb-bench-unary-${process.pid}`;
      await unary.createTopic({ name: topic, partitions: 1 });
      try {
        const rate = await adapterConsumer(unary, topic, "pull");
        out["adapter unary pull msg/s"] = Math.round(rate);
        console.log(`adapter unary pull: ${Math.round(rate)} msg/s`);
      } finally {
        await unary.deleteTopic(topic);
      }
      console.log(`push requests in flight at most: ${out["push requests in flight at most (0 ms)"]}`);
    } finally {
      await adapter.close();
      await unary.close();
    }
    return out;
  },
};
