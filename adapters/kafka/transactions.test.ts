/**
 * The kafka adapter's read-process-write transactions and `readPartition`, against the real Kafka:
 * outputs and input offsets commit together; an aborted transaction leaves nothing a read_committed
 * reader sees; a newer instance of a transactional id fences the old one and aborts what it left
 * open. Topics are `bb-` named and deleted after.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePayload, encodePayload } from "../../core/payload.js";
import {
  type Adapter,
  type Delivery,
  type OutgoingMessage,
  type PullConsumer,
  SendError,
} from "../contract.js";
import { serviceGate } from "../test/services.js";
import { kafkaFactory } from "./index.js";

const gate = await serviceGate("kafka", "127.0.0.1", 9092);

const msgs = (topic: string, process: number, from: number, n: number, key = "k"): OutgoingMessage[] =>
  Array.from({ length: n }, (_, i) => ({ topic, key, payload: encodePayload(64, process, from + i, 0) }));
const seqs = (ds: readonly Delivery[]) => ds.map((d) => decodePayload(d.payload).sequence);

/** Polls until `n` deliveries came (a new member waits for its assignment first). */
async function pollN(c: PullConsumer, n: number): Promise<Delivery[]> {
  const out: Delivery[] = [];
  const deadline = Date.now() + 20_000;
  while (out.length < n && Date.now() < deadline) out.push(...(await c.poll(n - out.length, 200)));
  return out;
}

describe.skipIf(gate.skip)(`kafka transactions and readPartition (${gate.reason})`, () => {
  let a: Adapter;
  const topics: string[] = [];
  beforeAll(async () => {
    a = await kafkaFactory.connect({ url: "127.0.0.1:9092" });
  });
  afterAll(async () => {
    for (const t of topics) await a.deleteTopic(t).catch(() => {});
    await a.close();
  });

  /** Fresh input (10 events of key k) and output topics, and a consumer maker for group `proc`. */
  async function setup() {
    const run = randomUUID().slice(0, 8);
    const input = `bb-txtest-${run}-in`;
    const output = `bb-txtest-${run}-out`;
    topics.push(input, output);
    await a.createTopic({ name: input, partitions: 1 });
    await a.createTopic({ name: output, partitions: 1 });
    const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
    await p.send(msgs(input, 1, 0, 10));
    await p.close();
    const consumer = (process: number) =>
      a.createConsumer({
        process,
        group: `txtest-${run}`,
        topics: [input],
        delivery: "pull",
        mode: "exactly-once",
        start: "earliest",
        prefetch: 100,
      }) as Promise<PullConsumer>;
    return { input, output, run, consumer };
  }

  it("commits the outputs and the input offsets together", async () => {
    const { input, output, run, consumer } = await setup();
    const c = await consumer(2);
    const got = await pollN(c, 4);
    expect(seqs(got)).toEqual([0, 1, 2, 3]);
    const tp = await a.createTransactionalProducer!({ process: 3, transactionalId: `bb-txtest-${run}-0` });
    const acks = await tp.send(msgs(output, 3, 0, 4));
    expect(acks.map((x) => x.offset)).toEqual([0, 1, 2, 3]);
    expect(await tp.sendOffsets(c, got)).toEqual({
      kind: "offsets",
      offsets: [{ topic: input, partition: 0, offset: 4 }],
    });
    // Not readable before the commit: the open transaction holds the read.
    await expect(a.readPartition!(output, 0, 500)).rejects.toThrow(/open transaction/);
    await tp.commit();
    expect(seqs(await a.readPartition!(output, 0, 5000))).toEqual([0, 1, 2, 3]);
    await c.close();
    // The next member resumes after what the transaction committed.
    const next = await consumer(4);
    expect(seqs(await pollN(next, 6))).toEqual([4, 5, 6, 7, 8, 9]);
    await next.close();
    await tp.close();
  }, 60_000);

  it("an aborted transaction leaves nothing a read_committed reader sees, and no offsets", async () => {
    const { output, run, consumer } = await setup();
    const c = await consumer(2);
    const got = await pollN(c, 4);
    const tp = await a.createTransactionalProducer!({ process: 3, transactionalId: `bb-txtest-${run}-0` });
    await tp.send(msgs(output, 3, 0, 4));
    await tp.sendOffsets(c, got);
    await tp.abort();
    expect(await a.readPartition!(output, 0, 5000)).toEqual([]);
    // The next transaction commits; only its records show, after the aborted ones' offsets.
    await tp.send(msgs(output, 3, 100, 2));
    await tp.sendOffsets(c, got.slice(0, 2));
    await tp.commit();
    const read = await a.readPartition!(output, 0, 5000);
    expect(seqs(read)).toEqual([100, 101]);
    expect(read[0]!.offset).toBeGreaterThanOrEqual(4);
    // A group consumer (read_committed) of the output sees the same.
    const verifier = (await a.createConsumer({
      process: 5,
      group: `txtest-${run}-verifier`,
      topics: [output],
      delivery: "pull",
      mode: "at-least-once",
      start: "earliest",
      prefetch: 100,
    })) as PullConsumer;
    expect(seqs(await pollN(verifier, 2))).toEqual([100, 101]);
    expect(await verifier.poll(10, 500)).toEqual([]);
    await verifier.close();
    await c.close();
    // The committed offset is the committed transaction's (2), not the aborted one's (4).
    const next = await consumer(6);
    expect(seqs(await pollN(next, 8))).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    await next.close();
    await tp.close();
  }, 60_000);

  it("a newer instance of the transactional id fences the old one and aborts its open transaction", async () => {
    const { output, run, consumer } = await setup();
    const c = await consumer(2);
    const got = await pollN(c, 4);
    const id = `bb-txtest-${run}-0`;
    const old = await a.createTransactionalProducer!({ process: 3, transactionalId: id });
    await old.send(msgs(output, 3, 0, 2));
    await old.sendOffsets(c, got.slice(0, 2));
    await old.commit();
    // The old instance writes into a transaction and stops before committing it.
    await old.send(msgs(output, 3, 2, 2));
    const fresh = await a.createTransactionalProducer!({ process: 5, transactionalId: id });
    // Read-committed: the aborted records never show.
    expect(seqs(await a.readPartition!(output, 0, 5000))).toEqual([0, 1]);
    const fenced = await old.send(msgs(output, 3, 4, 1)).catch((e: unknown) => e);
    expect(fenced).toBeInstanceOf(SendError);
    expect((fenced as SendError).definite).toBe(true);
    await fresh.send(msgs(output, 5, 0, 2));
    await fresh.sendOffsets(c, got.slice(2, 4));
    await fresh.commit();
    expect(seqs(await a.readPartition!(output, 0, 5000))).toEqual([0, 1, 0, 1]);
    await old.close();
    await fresh.close();
    await c.close();
  }, 60_000);
});
