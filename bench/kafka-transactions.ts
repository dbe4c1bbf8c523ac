/**
 * What one read-process-write step costs on Kafka, per mode, as the pipeline's processors do it
 * (a run of `BENCH_KAFKA_TX_BATCH` events of one input partition → as many updates): exactly-once
 * is one transaction (transactional send, AddOffsetsToTxn + TxnOffsetCommit, EndTxn), at-least-once
 * a plain send then an OffsetCommit. Both on the same topics, one after the other, in one process
 * run against BENCH_KAFKA_URL (default the Kafka at 127.0.0.1:9092). It is why an exactly-once
 * pipeline on Kafka keeps up with fewer events/s than at-least-once (README "streaming").
 */
import { randomUUID } from "node:crypto";
import type { Delivery, OutgoingMessage, PullConsumer } from "../adapters/contract.js";
import { kafkaFactory } from "../adapters/kafka/index.js";
import { encodePayload } from "../core/payload.js";
import type { Benchmark } from "./bench.js";

const URL = process.env["BENCH_KAFKA_URL"] ?? "127.0.0.1:9092";
const STEPS = Number(process.env["BENCH_KAFKA_TX_STEPS"] ?? 200);
const BATCH = Number(process.env["BENCH_KAFKA_TX_BATCH"] ?? 7);

export const kafkaTransactionsBenchmark: Benchmark = {
  name: "kafka-transactions",
  describe: "Kafka: one pipeline step (send updates + commit offsets) in a transaction vs at-least-once",
  async run() {
    const a = await kafkaFactory.connect({ url: URL });
    const run = randomUUID().slice(0, 8);
    const input = `bb-txbench-${run}-in`;
    const output = `bb-txbench-${run}-out`;
    try {
      await a.createTopic({ name: input, partitions: 1 });
      await a.createTopic({ name: output, partitions: 1 });
      const p = await a.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
      const events = (from: number): OutgoingMessage[] =>
        Array.from({ length: BATCH }, (_, j) => ({
          topic: input,
          key: "k",
          payload: encodePayload(64, 1, from + j, 0),
        }));
      for (let i = 0; i < 2 * STEPS; i++) await p.send(events(i * BATCH));
      await p.close();
      const c = (await a.createConsumer({
        process: 2,
        group: `txbench-${run}`,
        topics: [input],
        delivery: "pull",
        mode: "at-least-once",
        start: "earliest",
        prefetch: 1000,
      })) as PullConsumer;
      const got: Delivery[] = [];
      const deadline = Date.now() + 30_000;
      while (got.length < 2 * STEPS * BATCH && Date.now() < deadline)
        got.push(...(await c.poll(10_000, 200)));
      if (got.length < 2 * STEPS * BATCH)
        throw new Error(`read ${got.length} of ${2 * STEPS * BATCH} events`);
      const steps = Array.from({ length: 2 * STEPS }, (_, i) => got.slice(i * BATCH, (i + 1) * BATCH));
      const updates = (n: number): OutgoingMessage[] =>
        Array.from({ length: BATCH }, (_, j) => ({
          topic: output,
          key: "k",
          payload: encodePayload(64, 3, n * BATCH + j, 0),
        }));
      const tp = await a.createTransactionalProducer!({ process: 3, transactionalId: `bb-txbench-${run}` });
      let t = performance.now();
      for (let i = 0; i < STEPS; i++) {
        await tp.send(updates(i));
        await tp.sendOffsets(c, steps[i]!);
        await tp.commit();
      }
      const txMs = (performance.now() - t) / STEPS;
      await tp.close();
      const plain = await a.createProducer({ process: 4, mode: "at-least-once", idempotent: false });
      t = performance.now();
      for (let i = STEPS; i < 2 * STEPS; i++) {
        await plain.send(updates(i));
        await c.commit(steps[i]!);
      }
      const aloMs = (performance.now() - t) / STEPS;
      await plain.close();
      await c.close();
      console.log(
        `kafka-transactions: per step of ${BATCH} events (${STEPS} steps each): exactly-once ${txMs.toFixed(1)} ms, at-least-once ${aloMs.toFixed(1)} ms, ratio ${(txMs / aloMs).toFixed(1)}`,
      );
      return {
        "exactly-once step ms": Number(txMs.toFixed(2)),
        "at-least-once step ms": Number(aloMs.toFixed(2)),
        ratio: Number((txMs / aloMs).toFixed(2)),
      };
    } finally {
      await a.deleteTopic(input).catch(() => {});
      await a.deleteTopic(output).catch(() => {});
      await a.close();
    }
  },
};
