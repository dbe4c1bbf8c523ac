/**
 * Predicates on the real Artemis: random predicates (the neutral syntax) become queue filters, a
 * fixed set of messages carries properties chosen to hit every rule (missing properties, strings
 * against numbers, equal numbers of two types, quotes), and each group receives exactly the
 * messages the neutral evaluator says its predicate matches.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPredicate, type Properties, predicateMatches } from "../../core/predicates.js";
import { predicateArb } from "../../core/test/predicate-arbitraries.js";
import type { Adapter, Consumer } from "../contract.js";
import { hostPort, serviceGate } from "../test/index.js";
import { artemisFactory, DEFAULT_ARTEMIS_URL } from "./index.js";

const url = process.env.BROKERBENCH_ARTEMIS_URL || DEFAULT_ARTEMIS_URL;
const { host, port } = hostPort(url, 61616);
const gate = await serviceGate("artemis", host, port);

/** Every combination of a few telling values (undefined: the property is absent). */
function messageProperties(): Properties[] {
  const regions = ["eu", "us", "it's", "", 2.5, undefined];
  const priorities = [-3, 0, 2, 2.5, 9, "5", undefined];
  const tiers = ["eu", 2, undefined];
  const out: Properties[] = [];
  for (const region of regions)
    for (const priority of priorities)
      for (const tier of tiers) {
        const p: Record<string, string | number> = {};
        if (region !== undefined) p.region = region;
        if (priority !== undefined) p.priority = priority;
        if (tier !== undefined) p.tier = tier;
        out.push(p);
      }
  return out;
}

async function drainAll(consumer: Consumer): Promise<number[]> {
  if (consumer.delivery !== "pull") throw new Error("pull expected");
  const got: number[] = [];
  for (;;) {
    const batch = await consumer.poll(500, 250);
    if (batch.length === 0) return got.sort((a, b) => a - b);
    await consumer.commit(batch);
    for (const d of batch) got.push(Number(Buffer.from(d.payload).toString()));
  }
}

async function send(adapter: Adapter, topic: string, props: readonly Properties[]): Promise<void> {
  const producer = await adapter.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
  try {
    await producer.send(
      props.map((properties, i) => ({ topic, key: null, payload: Buffer.from(String(i)), properties })),
    );
  } finally {
    await producer.close();
  }
}

describe.skipIf(!gate.available)(
  `artemis predicates against ${gate.address}${gate.available ? "" : ` — SKIPPED: ${gate.reason}`}`,
  () => {
    const props = messageProperties();
    const expected = (p: Parameters<typeof predicateMatches>[0]) =>
      props.flatMap((m, i) => (predicateMatches(p, m) ? [i] : []));

    it("multicast: each group's queue filter keeps exactly what its predicate matches", {
      timeout: 60_000,
    }, async () => {
      const predicates = fc.sample(predicateArb, { numRuns: 30, seed: 42 });
      const adapter = await artemisFactory.connect({ url });
      const topic = `bb-pred-mc-${process.pid}`;
      try {
        await adapter.createTopic({ name: topic, partitions: 1 });
        for (const [i, predicate] of predicates.entries()) {
          await adapter.createSubscription?.({ topic, group: `p${i}`, predicate });
        }
        await send(adapter, topic, props);
        for (const [i, predicate] of predicates.entries()) {
          const consumer = await adapter.createConsumer({
            process: 100 + i,
            group: `p${i}`,
            topics: [topic],
            predicate,
            delivery: "pull",
            mode: "at-least-once",
            start: "latest",
            prefetch: 500,
          });
          try {
            expect(await drainAll(consumer), formatPredicate(predicate)).toEqual(expected(predicate));
          } finally {
            await consumer.close();
          }
        }
      } finally {
        await adapter.deleteTopic(topic);
        await adapter.close();
      }
    });

    it("anycast: a consumer's selector takes exactly its matches and leaves the rest in the queue", {
      timeout: 60_000,
    }, async () => {
      const [predicate] = fc.sample(
        predicateArb.filter((p) => expected(p).length > 0 && expected(p).length < props.length),
        { numRuns: 1, seed: 7 },
      );
      const adapter = await artemisFactory.connect({ url, routing: "anycast" });
      const topic = `bb-pred-ac-${process.pid}`;
      try {
        await adapter.createTopic({ name: topic, partitions: 1 });
        await send(adapter, topic, props);
        const base = {
          topics: [topic],
          delivery: "pull",
          mode: "at-least-once",
          start: "latest",
          prefetch: 500,
        } as const;
        const selective = await adapter.createConsumer({
          ...base,
          process: 1,
          group: "g1",
          predicate: predicate!,
        });
        const matched = await drainAll(selective);
        await selective.close();
        expect(matched, formatPredicate(predicate!)).toEqual(expected(predicate!));
        const rest = await adapter.createConsumer({ ...base, process: 2, group: "g2" });
        const left = await drainAll(rest);
        await rest.close();
        expect(left).toEqual(props.map((_, i) => i).filter((i) => !matched.includes(i)));
      } finally {
        await adapter.deleteTopic(topic);
        await adapter.close();
      }
    });
  },
);
