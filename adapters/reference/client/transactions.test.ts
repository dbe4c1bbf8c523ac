/**
 * The reference client's read-process-write transactions, on the embedded broker: outputs and the
 * input offsets commit together; a newer instance of a transactional id fences the old one and
 * aborts what it left open; a member fenced by a rebalance cannot commit, and its outputs vanish.
 */
import { describe, expect, it } from "vitest";
import { decodePayload, encodePayload } from "../../../core/payload.js";
import { type Delivery, type OutgoingMessage, type PullConsumer, SendError } from "../../contract.js";
import { connectEmbedded } from "./adapter.js";

const msgs = (topic: string, process: number, from: number, n: number, key = "k"): OutgoingMessage[] =>
  Array.from({ length: n }, (_, i) => ({ topic, key, payload: encodePayload(64, process, from + i, 0) }));
const seqs = (ds: readonly Delivery[]) => ds.map((d) => decodePayload(d.payload).sequence);

async function setup() {
  const a = await connectEmbedded({ sessionTimeoutMs: "1000" });
  await a.createTopic({ name: "in", partitions: 1 });
  await a.createTopic({ name: "out", partitions: 1 });
  const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
  await p.send(msgs("in", 1, 0, 10));
  const consumer = (process: number) =>
    a.createConsumer({
      process,
      group: "proc",
      topics: ["in"],
      delivery: "pull",
      mode: "exactly-once",
      start: "earliest",
      prefetch: 100,
    }) as Promise<PullConsumer>;
  return { a, consumer };
}

describe("reference transactions (read-process-write)", () => {
  it("commits the outputs and the input offsets together", async () => {
    const { a, consumer } = await setup();
    const c = await consumer(2);
    const got = await c.poll(4, 100);
    expect(seqs(got)).toEqual([0, 1, 2, 3]);
    const tp = await a.createTransactionalProducer({ process: 3, transactionalId: "task-0" });
    const acks = await tp.send(msgs("out", 3, 0, 4));
    expect(acks.map((x) => x.offset)).toEqual([0, 1, 2, 3]);
    expect(await tp.sendOffsets(c, got)).toEqual({
      kind: "offsets",
      offsets: [{ topic: "in", partition: 0, offset: 4 }],
    });
    // Not visible before the commit.
    expect(await a.readPartition("out", 0, 100).catch((e: Error) => e.message)).toMatch(/open transaction/);
    await tp.commit();
    expect(seqs(await a.readPartition("out", 0, 1000))).toEqual([0, 1, 2, 3]);
    await c.close();
    // The next member resumes after what the transaction committed.
    const next = await consumer(4);
    expect(seqs(await next.poll(100, 100))).toEqual([4, 5, 6, 7, 8, 9]);
    await a.close();
  });

  it("a newer instance of the transactional id fences the old one and aborts its open transaction", async () => {
    const { a, consumer } = await setup();
    const c = await consumer(2);
    const got = await c.poll(4, 100);
    const old = await a.createTransactionalProducer({ process: 3, transactionalId: "task-0" });
    await old.send(msgs("out", 3, 0, 2));
    await old.sendOffsets(c, got.slice(0, 2));
    await old.commit();
    // The old instance writes into a transaction and stops before committing it.
    await old.send(msgs("out", 3, 2, 2));
    const fresh = await a.createTransactionalProducer({ process: 5, transactionalId: "task-0" });
    // Read-committed: the aborted records never show.
    expect(seqs(await a.readPartition("out", 0, 1000))).toEqual([0, 1]);
    await expect(old.send(msgs("out", 3, 4, 1))).rejects.toMatchObject({ definite: true });
    await fresh.send(msgs("out", 5, 0, 2));
    await fresh.sendOffsets(c, got.slice(2, 4));
    await fresh.commit();
    expect(seqs(await a.readPartition("out", 0, 1000))).toEqual([0, 1, 0, 1]);
    await a.close();
  });

  it("a member that lost its partitions cannot commit them: the transaction is aborted", async () => {
    const { a, consumer } = await setup();
    const c = await consumer(2);
    const got = await c.poll(4, 100);
    const tp = await a.createTransactionalProducer({ process: 3, transactionalId: "task-0" });
    // The member stops heartbeating: the group moves on without it.
    await c.kill?.();
    const other = await consumer(4);
    await new Promise((r) => setTimeout(r, 1500));
    await other.poll(1, 50);
    await tp.send(msgs("out", 3, 0, 4));
    const err = await tp.sendOffsets(c, got).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect((err as SendError).definite).toBe(true);
    await tp.abort();
    expect(await a.readPartition("out", 0, 1000)).toEqual([]);
    await a.close();
  });
});
