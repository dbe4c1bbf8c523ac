/**
 * A subscriber that stops reading: the adapter stops reading its socket, the backlog piles up on
 * the server, and Redis cuts the subscriber off at `client-output-buffer-limit pubsub` (hard
 * limit). Everything in that buffer and everything published until the subscriber is back is lost;
 * the ioredis client only notices when it reads again, then resubscribes (a new `assign`).
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePayload } from "../../core/payload.js";
import type { Adapter, Delivery, PushConsumer } from "../contract.js";
import { produce, serviceGate, TestHistory, waitUntil } from "../test/index.js";
import { delivered, explain, groupCount, judge } from "../test/verdict.js";
import { redisPubSubFactory } from "./index.js";

const URL = "redis://127.0.0.1:6379";
const gate = await serviceGate("redis", "127.0.0.1", 6379);

describe.skipIf(gate.skip)(
  `redis-pubsub: a stalled subscriber (redis at ${gate.address})${gate.skip ? ` — SKIPPED: ${gate.reason}` : ""}`,
  () => {
    let adapter: Adapter;
    let admin: Redis;
    let hardLimitBytes = 0;
    beforeAll(async () => {
      if (gate.fail) throw new Error(gate.reason);
      adapter = await redisPubSubFactory.connect({ url: URL });
      admin = new Redis(URL);
      const [, value] = (await admin.config("GET", "client-output-buffer-limit")) as [string, string];
      hardLimitBytes = Number(/pubsub (\d+)/.exec(value)?.[1] ?? 0);
    });
    afterAll(async () => {
      await adapter?.close();
      await admin?.quit();
    });

    it("is cut off at the output buffer limit: the backlog and the gap are lost, later messages arrive", async (ctx) => {
      if (hardLimitBytes === 0)
        ctx.skip("client-output-buffer-limit pubsub has no hard limit on this server");
      const topic = `bb-stall-${process.pid}`;
      const history = new TestHistory();
      history.meta({
        adapter: "redis-pubsub",
        workload: "stalled-subscriber",
        model: "queue",
        expect: { delivery: "at-most-once", order: "none" },
      });
      let release!: () => void;
      const stalled = new Promise<void>((r) => (release = r));
      let stall = true;
      const consumer = (await adapter.createConsumer({
        process: 100,
        group: "g",
        topics: [topic],
        delivery: "push",
        mode: "at-most-once",
        start: "latest",
        prefetch: 10,
        onAssign: (a) => history.assign(100, "g", a),
      })) as PushConsumer;
      const got: Delivery[] = [];
      await consumer.start(async (batch) => {
        history.pollOk(100, "g", batch);
        history.commit(100, "g", await consumer.commit(batch), batch);
        got.push(...batch);
        if (stall) await stalled;
      });
      const size = 64 * 1024;
      // Enough to exceed the hard limit plus what the kernel's socket buffers hold.
      const backlog = Math.ceil((hardLimitBytes + 24 * 2 ** 20) / size);
      const acked = await produce(adapter, history, {
        process: 1,
        topic,
        mode: "at-most-once",
        count: backlog,
        size,
        batch: 32,
      });
      const cutOff = await waitUntil(
        async () => !String(await admin.client("LIST")).includes("name=brokerbench-c100 "),
        5_000,
      );
      expect(cutOff, "the server disconnected the stalled subscriber").toBe(true);
      // Published while it is gone: lost whatever happens next.
      acked.push(
        ...(await produce(adapter, history, {
          process: 2,
          topic,
          mode: "at-most-once",
          count: 50,
          size: 100,
        })),
      );
      stall = false;
      release();
      const resubscribed = await waitUntil(
        () => history.lines.filter((l) => l.f === "assign").length >= 2,
        10_000,
      );
      expect(resubscribed, "resubscribed after reading to the end of the dropped connection").toBe(true);
      acked.push(
        ...(await produce(adapter, history, {
          process: 3,
          topic,
          mode: "at-most-once",
          count: 50,
          size: 100,
        })),
      );
      await waitUntil(
        () =>
          got.some(
            (d) =>
              d.payload.length === 100 &&
              decodePayload(d.payload).process === 3 &&
              decodePayload(d.payload).sequence === 49,
          ),
        5_000,
      );
      history.drain("g", false);
      history.drain("g", true);
      await consumer.close();

      const v = judge(history, { delivery: "at-most-once", order: "none" });
      expect(v.valid, explain(v)).toBe(true);
      const lost = groupCount(v, "g", "lost");
      expect(lost, explain(v)).toBeGreaterThanOrEqual(50);
      expect(lost).toBeLessThan(backlog + 50);
      const after = got.filter((d) => decodePayload(d.payload).process === 3).length;
      expect(after, "published after the resubscribe: all delivered").toBe(50);
      const gap = got.filter((d) => decodePayload(d.payload).process === 2).length;
      expect(gap, "published while cut off: none delivered").toBe(0);
      const strict = judge(history, { delivery: "at-least-once", order: "none" });
      expect(strict.valid, "the same history fails an at-least-once expectation").toBe(false);
      console.info(
        `[redis-pubsub] stalled subscriber: ${backlog} × 64 KiB backlog, hard limit ${hardLimitBytes / 2 ** 20} MiB: ` +
          `${lost} of ${acked.length} lost, ${delivered(v, "g")} delivered`,
      );
    });
  },
);
