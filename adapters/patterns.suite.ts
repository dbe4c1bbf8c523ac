/**
 * One suite for pattern subscriptions (`ConsumerOptions.patterns`), run by every adapter that
 * declares `filtering`, against its real broker: a pattern receives the messages of the topics it
 * matches and none of the others, and a message matching two of one consumer's patterns arrives
 * as often as the adapter's README says its broker delivers it (`overlapDeliveries`).
 *
 * Usage, in adapters/<name>/patterns.test.ts:
 *   describePatternSubscriptions("nats", natsFactory, {}, { service: gate, overlapDeliveries: 2 });
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Adapter, AdapterFactory, AdapterSettings, Consumer, Delivery } from "./contract.js";
import type { ServiceGate } from "./test/services.js";

export interface PatternSuiteOptions {
  readonly service: ServiceGate;
  /** Deliveries of one message that matches two patterns of one consumer (1: the broker dedupes). */
  readonly overlapDeliveries: 1 | 2;
  /** The broker can express a one-segment `*` (Redis glob cannot: the adapter refuses it). */
  readonly oneSegmentWildcard?: boolean;
  /** A topic created after the subscription is matched too (false: patterns resolve at subscribe). */
  readonly lateTopics?: boolean;
  /** Quiet time after the expected deliveries, to catch ones that should not come. */
  readonly quietMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A consumer on `patterns`, collecting `topic|payload` of everything it receives. */
async function subscribe(
  adapter: Adapter,
  process: number,
  patterns: readonly string[],
): Promise<{ consumer: Consumer; got: string[]; assigned: () => boolean }> {
  const caps = adapter.capabilities;
  const got: string[] = [];
  let assigned = false;
  const record = (batch: readonly Delivery[]) => {
    for (const d of batch) got.push(`${d.topic}|${Buffer.from(d.payload).toString()}`);
  };
  const consumer = await adapter.createConsumer({
    process,
    group: `pat${process}-${randomUUID().slice(0, 6)}`,
    topics: [],
    patterns,
    delivery: caps.push ? "push" : "pull",
    mode: "at-most-once",
    // Every test publishes to the same topics: a consumer sees only what comes after it.
    start: "latest",
    prefetch: 1000,
    onAssign: () => {
      assigned = true;
    },
  });
  if (consumer.delivery === "push") await consumer.start(record);
  else {
    void (async () => {
      // Pull until closed (a closed consumer's poll throws).
      for (;;) record(await consumer.poll(100, 50).catch(() => null as never));
    })().catch(() => {});
  }
  return { consumer, got, assigned: () => assigned };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

export function describePatternSubscriptions(
  name: string,
  factory: AdapterFactory,
  settings: AdapterSettings,
  options: PatternSuiteOptions,
): void {
  const gate = options.service;
  const quietMs = options.quietMs ?? 400;
  if (gate.fail) {
    describe(`${name} pattern subscriptions`, () => {
      it(`needs ${gate.name} at ${gate.address}`, () => {
        throw new Error(gate.reason);
      });
    });
    return;
  }
  describe.skipIf(gate.skip)(
    `${name} pattern subscriptions against ${gate.name} at ${gate.address}${gate.skip ? ` — SKIPPED: ${gate.reason}` : ""}`,
    () => {
      let adapter: Adapter;
      const base = `bb.pat.${randomUUID().slice(0, 8)}`;
      const topics = ["t.a", "t.b", "u.a", "t.a.deep"].map((s) => `${base}.${s}`);
      beforeAll(async () => {
        adapter = await factory.connect(settings);
        for (const t of topics) await adapter.createTopic({ name: t, partitions: 1 });
      });
      afterAll(async () => {
        for (const t of topics) await adapter?.deleteTopic(t).catch(() => {});
        await adapter?.close();
      });

      it("declares filtering", () => {
        expect(factory.capabilities.filtering).toBe(true);
      });

      /** Subscribes each pattern list, publishes 3 messages to every topic, returns what each got. */
      const exchange = async (lists: readonly (readonly string[])[]): Promise<string[][]> => {
        const subs: Awaited<ReturnType<typeof subscribe>>[] = [];
        for (const [i, patterns] of lists.entries()) subs.push(await subscribe(adapter, 100 + i, patterns));
        try {
          // Log-model adapters assign partitions after a join (reported); then a moment to settle.
          if (adapter.capabilities.model === "log")
            await waitFor(() => subs.every((s) => s.assigned()), 3000);
          await sleep(adapter.capabilities.model === "log" ? 300 : 50);
          const producer = await adapter.createProducer({
            process: 1,
            mode: "at-most-once",
            idempotent: false,
          });
          for (const topic of topics) {
            const batch = [0, 1, 2].map((n) => ({ topic, key: null, payload: Buffer.from(`m${n}`) }));
            await producer.send(batch);
          }
          await producer.close();
          await waitFor(() => subs.every((s) => s.got.length > 0), 3000);
          await sleep(quietMs);
          return subs.map((s) => [...s.got].sort());
        } finally {
          for (const s of subs) await s.consumer.close().catch(() => {});
        }
      };
      const messagesOf = (...suffixes: string[]) =>
        suffixes.flatMap((s) => [0, 1, 2].map((n) => `${base}.${s}|m${n}`)).sort();

      it("a > pattern receives every topic below it and nothing else", async () => {
        const [got] = await exchange([[`${base}.t.>`]]);
        expect(got).toEqual(messagesOf("t.a", "t.b", "t.a.deep"));
      });

      if (options.oneSegmentWildcard !== false) {
        it("a * pattern receives exactly one segment, and patterns of one consumer add up", async () => {
          const [one, two] = await exchange([[`${base}.t.*`], [`${base}.*.a`, `${base}.t.b`]]);
          expect(one).toEqual(messagesOf("t.a", "t.b"));
          expect(two).toEqual(messagesOf("t.a", "u.a", "t.b"));
        });
      } else {
        it("refuses a one-segment * it cannot express, saying why", async () => {
          await expect(subscribe(adapter, 99, [`${base}.t.*`])).rejects.toThrow(/\*/);
        });
      }

      it(`a message matching two patterns of one consumer arrives ${options.overlapDeliveries === 1 ? "once" : "once per pattern"}`, async () => {
        const [got] = await exchange([[`${base}.t.>`, `${base}.t.a`]]);
        const expected = [
          ...messagesOf("t.b", "t.a.deep"),
          ...Array.from({ length: options.overlapDeliveries }, () => messagesOf("t.a")).flat(),
        ].sort();
        expect(got).toEqual(expected);
      });

      if (options.lateTopics !== false) {
        it("a topic created after the subscription is matched too", async () => {
          const late = `${base}.late.x`;
          const sub = await subscribe(adapter, 97, [`${base}.late.>`]);
          try {
            await adapter.createTopic({ name: late, partitions: 1 });
            const producer = await adapter.createProducer({
              process: 2,
              mode: "at-most-once",
              idempotent: false,
            });
            await producer.send([{ topic: late, key: null, payload: Buffer.from("m0") }]);
            await producer.close();
            await waitFor(() => sub.got.length > 0, 3000);
            expect(sub.got).toEqual([`${late}|m0`]);
          } finally {
            await sub.consumer.close().catch(() => {});
            await adapter.deleteTopic(late).catch(() => {});
          }
        });
      }

      it("refuses a malformed pattern, naming it", async () => {
        await expect(subscribe(adapter, 98, [`${base}.>.x`])).rejects.toThrow(/may only be the last/);
      });
    },
  );
}
