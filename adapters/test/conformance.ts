/**
 * One conformance suite for every adapter (STYLE.md §5), each part chosen by the adapter's declared
 * capabilities: produce and consume (push and/or pull, each declared delivery mode), queue (the
 * consumers of one group share the messages, each once), pub-sub (each group gets every message),
 * a consumer killed and replaced (at-least-once: nothing acknowledged is lost, the dead consumer's
 * unacknowledged messages are redelivered; at-most-once: loss allowed, no duplicates), refusal of
 * what is not declared, and fail-fast connect errors. Everything is judged from the recorded history.
 *
 * Usage, in adapters/<name>/<name>.test.ts:
 *   const gate = await serviceGate("redis", "127.0.0.1", 6379);
 *   describeBrokerConformance("redis-streams", factory, { url: "redis://127.0.0.1:6379" }, { service: gate, ... });
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Adapter,
  type AdapterFactory,
  type AdapterSettings,
  BrokerUnreachableError,
  type Capabilities,
  DELIVERY_MODES,
  DELIVERY_STYLES,
  type DeliveryMode,
  type DeliveryStyle,
  deliveryModesOf,
  type OrderScope,
  type StartPosition,
  unsupportedReason,
} from "../contract.js";
import { drain, groupSettled, produce, RunningConsumer, waitUntil } from "./driver.js";
import { TestHistory } from "./history.js";
import { groupTally, tally } from "./judge.js";
import type { ServiceGate } from "./services.js";
import { delivered, expectation, explain, groupCount, judge } from "./verdict.js";

export interface ConformanceOptions {
  readonly service: ServiceGate;
  /** Settings that point at a closed port: connect must fail fast naming `unreachableAddress`. */
  readonly unreachable?: { readonly settings: AdapterSettings; readonly address: string };
  /** Messages per scenario; small, the suite must run in seconds. */
  readonly count?: number;
  /** A drain concludes the rest is not coming after this long with nothing new. */
  readonly quietMs?: number;
  /**
   * The longest a drain may take (default 15 s): above `quietMs` plus the time a killed
   * consumer's unacknowledged messages take to come back (their lease, where it is long).
   */
  readonly drainTimeoutMs?: number;
  /**
   * The order one lone consumer of a group sees in a healthy run, when stronger than the declared
   * `capabilities.ordering` (which must also hold for competing consumers and redeliveries).
   */
  readonly loneConsumerOrder?: OrderScope;
  /**
   * The broker does not always flag what a killed consumer left unacknowledged as redelivered
   * (say why in the adapter's README); the kill scenario then still requires every such message
   * back, and only reports how many carried the flag.
   */
  readonly redeliveryFlagUnreliable?: string;
  /**
   * Push: the broker has at most this many unacknowledged deliveries out to a subscription at once,
   * whatever the prefetch (the Pub/Sub emulator: 2 push requests per subscription). A consumer that
   * holds that many unacknowledged gets nothing more; the kill scenario waits for what can arrive.
   */
  readonly pushOutstandingLimit?: number;
  /**
   * With this delivery style the consumers of one group need not share its messages: the broker
   * may hand a backlog to whichever consumer is ready first (the Pub/Sub emulator ignores
   * StreamingPull flow control). The queue scenario still requires every message exactly once and
   * only reports how they were spread; say why in the adapter's README.
   */
  readonly unevenQueue?: { readonly style: DeliveryStyle; readonly reason: string };
}

let topicSerial = 0;
function freshTopic(adapter: string, scenario: string): string {
  topicSerial++;
  return `bb-conf-${adapter}-${scenario}-${process.pid}-${topicSerial}`;
}

/** The start position a consumer created before the producer uses: earliest where replay exists. */
function startFor(caps: Capabilities): StartPosition {
  return caps.replay ? "earliest" : "latest";
}

function strongestMode(caps: Capabilities, style: DeliveryStyle): DeliveryMode {
  const order: readonly DeliveryMode[] = ["at-least-once", "exactly-once", "at-most-once"];
  const found = order.find((m) => deliveryModesOf(caps, style).includes(m));
  if (!found) throw new Error("adapter declares no delivery mode");
  return found;
}

export function describeBrokerConformance(
  name: string,
  factory: AdapterFactory,
  settings: AdapterSettings,
  options: ConformanceOptions,
): void {
  const gate = options.service;
  const caps = factory.capabilities;
  const count = options.count ?? 200;
  const quietMs = options.quietMs ?? 1500;
  const styles = DELIVERY_STYLES.filter((s) => caps[s]);
  const modes = caps.deliveryModes;

  if (gate.fail) {
    describe(`${name} conformance`, () => {
      it(`needs ${gate.name} at ${gate.address}`, () => {
        throw new Error(gate.reason);
      });
    });
    return;
  }

  describe.skipIf(gate.skip)(
    `${name} conformance against ${gate.name} at ${gate.address}${gate.skip ? ` — SKIPPED: ${gate.reason}` : ""}`,
    () => {
      let adapter: Adapter;
      beforeAll(async () => {
        adapter = await factory.connect(settings);
      });
      afterAll(async () => {
        await adapter?.close();
      });

      it("reports client and server versions", async () => {
        const versions = await adapter.versions();
        expect(Object.keys(versions).length).toBeGreaterThanOrEqual(2);
        for (const v of Object.values(versions)) expect(v).toMatch(/\d/);
        expect(adapter.capabilities).toEqual(factory.capabilities);
      });

      if (options.unreachable) {
        const { settings: bad, address } = options.unreachable;
        it(`fails fast naming the address when the broker is unreachable (${address})`, async () => {
          const started = Date.now();
          const err = await factory.connect(bad).then(
            async (a) => {
              await a.close();
              return null;
            },
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(BrokerUnreachableError);
          expect((err as Error).message).toContain(address);
          expect(Date.now() - started).toBeLessThan(5_000);
        });
      }

      it("refuses what it does not declare, and unsupportedReason says so", async () => {
        const topic = freshTopic(name, "refuse");
        await adapter.createTopic({ name: topic, partitions: 1 });
        try {
          const base = { groups: 1, consumersPerGroup: 1, partitions: 1, start: "latest" as const };
          for (const delivery of DELIVERY_STYLES) {
            for (const mode of DELIVERY_MODES) {
              const reason = unsupportedReason(caps, { ...base, delivery, mode });
              const supported = caps[delivery] && deliveryModesOf(caps, delivery).includes(mode);
              expect(reason === null, `${delivery} ${mode}: ${reason}`).toBe(supported);
              if (supported) continue;
              await expect(
                adapter.createConsumer({
                  process: 900,
                  group: "refused",
                  topics: [topic],
                  delivery,
                  mode,
                  start: "latest",
                  prefetch: 10,
                }),
                `createConsumer(${delivery}, ${mode}) must be refused`,
              ).rejects.toThrow();
            }
          }
          for (const mode of DELIVERY_MODES) {
            if (caps.deliveryModes.includes(mode)) continue;
            await expect(
              adapter.createProducer({ process: 901, mode, idempotent: false }),
              `createProducer(${mode}) must be refused`,
            ).rejects.toThrow();
          }
          if (!caps.partitions) {
            expect(
              unsupportedReason(caps, { ...base, delivery: styles[0]!, mode: modes[0]!, partitions: 2 }),
            ).not.toBeNull();
            await expect(adapter.createTopic({ name: `${topic}-p2`, partitions: 2 })).rejects.toThrow(
              /partition/,
            );
          }
          if (!caps.queue) {
            expect(
              unsupportedReason(caps, {
                ...base,
                delivery: styles[0]!,
                mode: modes[0]!,
                consumersPerGroup: 3,
              }),
            ).not.toBeNull();
          }
          if (!caps.pubsub) {
            expect(
              unsupportedReason(caps, { ...base, delivery: styles[0]!, mode: modes[0]!, groups: 2 }),
            ).not.toBeNull();
          }
          if (!caps.replay) {
            expect(
              unsupportedReason(caps, { ...base, delivery: styles[0]!, mode: modes[0]!, start: "earliest" }),
            ).not.toBeNull();
          }
        } finally {
          await adapter.deleteTopic(topic);
        }
      });

      for (const style of styles) {
        for (const mode of deliveryModesOf(caps, style)) {
          it(`produces ${count} and consumes each once, in ${options.loneConsumerOrder ?? caps.ordering} order (${style}, ${mode})`, async () => {
            const topic = freshTopic(name, `pc-${style}-${mode}`);
            await adapter.createTopic({ name: topic, partitions: 1 });
            const history = new TestHistory();
            history.meta({
              adapter: name,
              workload: "conformance",
              model: caps.model,
              expect: { delivery: mode, order: "none" },
            });
            try {
              const c = await RunningConsumer.start(adapter, history, {
                process: 100,
                group: "g1",
                topics: [topic],
                delivery: style,
                mode,
                start: startFor(caps),
              });
              const acked = await produce(adapter, history, { process: 1, topic, mode, count });
              expect(acked.length).toBe(count);
              await drain(history, "g1", [c], acked, quietMs);
              await c.close();
              // Valid under the declared mode and order; and a healthy run loses and duplicates
              // nothing, whatever the mode allows.
              const v = judge(history, expectation(mode, options.loneConsumerOrder ?? caps.ordering));
              expect(v.valid, explain(v)).toBe(true);
              expect(groupCount(v, "g1", "lost"), explain(v)).toBe(0);
              expect(groupCount(v, "g1", "duplicate-delivery"), explain(v)).toBe(0);
              expect(delivered(v, "g1")).toBe(count);
              expect(v.messages.acknowledged).toBe(count);
              expect(new Set(c.committed).size).toBe(count);
            } finally {
              await adapter.deleteTopic(topic);
            }
          });
        }
      }

      if (caps.queue) {
        for (const style of styles) {
          it(`queue: 3 consumers of one group share the messages, each message once (${style})`, async () => {
            const mode = strongestMode(caps, style);
            const topic = freshTopic(name, `queue-${style}`);
            // A log shares a group's messages across partitions (each partition to one consumer of
            // the group): give it one partition per consumer. A queue spreads even one partition.
            const consumerCount = 3;
            const partitions = caps.model === "log" && caps.partitions ? consumerCount : 1;
            await adapter.createTopic({ name: topic, partitions });
            const history = new TestHistory();
            history.meta({
              adapter: name,
              workload: "conformance-queue",
              model: caps.model,
              expect: { delivery: mode, order: "none" },
            });
            try {
              // Created concurrently, as a runner may: the group's setup must not race with itself.
              const consumers = await Promise.all(
                Array.from({ length: consumerCount }, (_, i) =>
                  RunningConsumer.start(adapter, history, {
                    process: 100 + i,
                    group: "shared",
                    topics: [topic],
                    delivery: style,
                    mode,
                    start: startFor(caps),
                    prefetch: 5,
                    pollMax: 5,
                  }),
                ),
              );
              if (partitions > 1) {
                // Members that joined one after another learn of the later rebalances at their next
                // heartbeat; produce once each partition has one owner, or the overlap duplicates.
                expect(
                  await waitUntil(() => groupSettled(consumers, topic, partitions), 5_000),
                  `the group settled: assignments ${consumers.map((c) => JSON.stringify(c.assignment)).join(" ")}`,
                ).toBe(true);
              }
              const acked = await produce(adapter, history, { process: 1, topic, mode, count, batch: 10 });
              await drain(history, "shared", consumers, acked, quietMs);
              for (const c of consumers) expect(c.commitErrors, `process ${c.options.process}`).toEqual([]);
              for (const c of consumers) await c.close();
              const v = judge(history, expectation(mode, caps.ordering));
              expect(v.valid, explain(v)).toBe(true);
              expect(groupCount(v, "shared", "lost"), explain(v)).toBe(0);
              expect(groupCount(v, "shared", "duplicate-delivery"), explain(v)).toBe(0);
              expect(delivered(v, "shared")).toBe(count);
              // A queue spreads one topic over its consumers; a settled log group gives each
              // partition to one consumer, and key-less batches go round the partitions: all busy.
              const busy = consumers.filter((c) => c.delivered.length > 0).length;
              const spread = `deliveries per consumer: ${consumers.map((c) => c.delivered.length).join(", ")}`;
              if (options.unevenQueue?.style === style) {
                console.info(`[${name}] queue (${style}): ${spread}; ${options.unevenQueue.reason}`);
              } else {
                expect(busy, spread).toBeGreaterThanOrEqual(
                  partitions > 1 ? consumerCount : caps.model === "queue" ? 2 : 1,
                );
              }
            } finally {
              await adapter.deleteTopic(topic);
            }
          });
        }
      }

      if (caps.pubsub) {
        for (const style of styles) {
          it(`pub-sub: 2 groups each receive every message (${style})`, async () => {
            const mode = strongestMode(caps, style);
            const topic = freshTopic(name, `pubsub-${style}`);
            await adapter.createTopic({ name: topic, partitions: 1 });
            const history = new TestHistory();
            history.meta({
              adapter: name,
              workload: "conformance-pubsub",
              model: caps.model,
              expect: { delivery: mode, order: "none" },
            });
            try {
              const a = await RunningConsumer.start(adapter, history, {
                process: 100,
                group: "ga",
                topics: [topic],
                delivery: style,
                mode,
                start: startFor(caps),
              });
              const b = await RunningConsumer.start(adapter, history, {
                process: 101,
                group: "gb",
                topics: [topic],
                delivery: style,
                mode,
                start: startFor(caps),
              });
              const acked = await produce(adapter, history, { process: 1, topic, mode, count });
              await drain(history, "ga", [a], acked, quietMs);
              await drain(history, "gb", [b], acked, quietMs);
              await a.close();
              await b.close();
              const v = judge(history, expectation(mode, caps.ordering));
              expect(v.valid, explain(v)).toBe(true);
              for (const group of ["ga", "gb"]) {
                expect(groupCount(v, group, "lost"), `${group}: ${explain(v)}`).toBe(0);
                expect(groupCount(v, group, "duplicate-delivery"), `${group}: ${explain(v)}`).toBe(0);
                expect(delivered(v, group), group).toBe(count);
              }
            } finally {
              await adapter.deleteTopic(topic);
            }
          });
        }
      }

      for (const [style, mode] of styles.flatMap((st) =>
        deliveryModesOf(caps, st).map((m) => [st, m] as const),
      )) {
        it(`a killed consumer is replaced (${style}, ${mode}): ${mode === "at-most-once" ? "loss allowed, no duplicates" : "nothing acknowledged lost, unacknowledged redelivered"}`, async () => {
          const topic = freshTopic(name, `kill-${style}-${mode}`);
          await adapter.createTopic({ name: topic, partitions: 1 });
          const history = new TestHistory();
          history.meta({
            adapter: name,
            workload: "conformance-kill",
            model: caps.model,
            expect: { delivery: mode, order: "none" },
          });
          const half = Math.floor(count / 2);
          try {
            const first = await RunningConsumer.start(adapter, history, {
              process: 100,
              group: "g1",
              topics: [topic],
              delivery: style,
              mode,
              start: startFor(caps),
              prefetch: 50,
              pollMax: 10,
              // at-least-once: acknowledge a few, hold the rest unacknowledged when it dies.
              ...(mode === "at-most-once" ? {} : { commitLimit: 5 }),
            });
            const acked = await produce(adapter, history, { process: 1, topic, mode, count: half });
            // Under at-least-once it acknowledges 5 and holds the rest: a push window caps what follows.
            const limit =
              style === "push" && mode !== "at-most-once" ? options.pushOutstandingLimit : undefined;
            const enough = limit === undefined ? 10 : Math.min(10, 5 + limit);
            expect(
              await waitUntil(() => first.delivered.length >= enough, 5_000),
              "first consumer received messages",
            ).toBe(true);
            await first.kill();
            // Sent while the group has no live consumer: kept for the replacement, or lost, per broker.
            acked.push(...(await produce(adapter, history, { process: 3, topic, mode, count: 20 })));
            const second = await RunningConsumer.start(adapter, history, {
              process: 101,
              group: "g1",
              topics: [topic],
              delivery: style,
              mode,
              start: startFor(caps),
            });
            acked.push(
              ...(await produce(adapter, history, { process: 2, topic, mode, count: count - half })),
            );
            await drain(history, "g1", [second], acked, quietMs, options.drainTimeoutMs);
            await second.close();
            const v = judge(history, expectation(mode, caps.ordering));
            expect(v.valid, explain(v)).toBe(true);
            // The kit's own count of the same history, for the per-id checks below: it must agree.
            const g = groupTally(tally(history.lines), "g1");
            expect(groupCount(v, "g1", "lost"), explain(v)).toBe(g.lost.length);
            // A commit in flight when it died may or may not have landed: only never-committed ids count.
            const unacked = [...new Set(first.delivered)].filter((id) => !first.commitAttempted.includes(id));
            const secondGot = new Set(second.delivered);
            if (mode === "at-most-once") {
              expect(groupCount(v, "g1", "duplicate-delivery"), explain(v)).toBe(0);
              // Sent after the replacement was up: nothing of that may be missing.
              const late = acked.filter((id) => id.startsWith("2-"));
              expect(late.filter((id) => !secondGot.has(id))).toEqual([]);
              const gap = acked.filter((id) => id.startsWith("3-"));
              console.info(
                `[${name}] kill under at-most-once: ${g.lost.length} of ${acked.length} lost, ` +
                  `${gap.filter((id) => g.lost.includes(id)).length} of the ${gap.length} sent while no consumer was up`,
              );
            } else {
              expect(groupCount(v, "g1", "lost"), explain(v)).toBe(0);
              expect(unacked.length).toBeGreaterThan(0);
              expect(
                unacked.filter((id) => !secondGot.has(id)),
                "unacknowledged by the dead consumer, redelivered",
              ).toEqual([]);
              if (options.redeliveryFlagUnreliable === undefined) expect(g.redelivered).toBeGreaterThan(0);
              else
                console.info(
                  `[${name}] ${g.redelivered} redeliveries flagged: ${options.redeliveryFlagUnreliable}`,
                );
              console.info(
                `[${name}] kill under ${mode}: ${unacked.length} unacknowledged redelivered, ${g.duplicateDelivery.length} delivered twice, 0 lost`,
              );
            }
          } finally {
            await adapter.deleteTopic(topic);
          }
        });
      }
    },
  );
}
