import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Delivery } from "../../contract.js";
import type { BrokerApi, PushSubscription } from "../broker/api.js";
import { Broker } from "../broker/broker.js";
import { MemoryLogFactory } from "../storage/memory-log-factory.js";
import { LogPushConsumer } from "./log-consumer.js";
import { parseReferenceSettings } from "./settings.js";

/** The in-process broker with every push subscription's grants recorded. */
function recordingGrants(broker: Broker): { api: BrokerApi; grants: number[] } {
  const grants: number[] = [];
  const api = new Proxy(broker, {
    get(target, prop, receiver) {
      if (prop !== "subscribe") return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<Broker["subscribe"]>): Promise<PushSubscription> => {
        const sub = await target.subscribe(...args);
        const grant = sub.grant.bind(sub);
        sub.grant = (n: number) => {
          grants.push(n);
          grant(n);
        };
        return sub;
      };
    },
  });
  return { api, grants };
}

describe("push consumer credit", () => {
  it("goes back in steps of half the window, and the window never runs dry (every prefetch, every batch pattern)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 12 }),
        async (prefetch, batches) => {
          const broker = await Broker.open({ logs: new MemoryLogFactory() });
          try {
            await broker.createTopic("t", 1);
            const { api, grants } = recordingGrants(broker);
            const session = { broker: api, close: () => Promise.resolve(), kill: () => {}, onLost: () => {} };
            const consumer = await LogPushConsumer.create(
              session,
              {
                process: 1,
                group: "g",
                topics: ["t"],
                delivery: "push",
                mode: "at-most-once",
                start: "earliest",
                prefetch,
              },
              parseReferenceSettings({}),
            );
            const total = batches.reduce((a, b) => a + b, 0);
            const got: Delivery[] = [];
            let done: () => void = () => {};
            const all = new Promise<void>((resolve) => {
              done = resolve;
            });
            await consumer.start((ds) => {
              got.push(...ds);
              if (got.length >= total) done();
            });
            for (const n of batches) {
              const records = Array.from({ length: n }, (_, i) => ({ key: null, payload: Buffer.from([i]) }));
              broker.produce({
                topic: "t",
                partition: 0,
                records,
                acks: "leader",
                producerId: -1,
                producerEpoch: -1,
                baseSequence: -1,
              });
              // Let the subscription deliver (and the consumer grant) between batches.
              await new Promise((r) => setImmediate(r));
            }
            await Promise.race([all, new Promise((r) => setTimeout(r, 2000))]);
            // Nothing stalls: every message arrived, in order, with a window of any size.
            expect(got.map((d) => d.offset)).toEqual(Array.from({ length: total }, (_, i) => i));
            const step = Math.max(1, Math.floor(prefetch / 2));
            for (const g of grants) expect(g).toBeGreaterThanOrEqual(step);
            // What was not granted back is less than a step: the broker keeps more than half the window.
            const granted = grants.reduce((a, b) => a + b, 0);
            expect(total - granted).toBeLessThan(step);
            await consumer.close();
          } finally {
            await broker.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
