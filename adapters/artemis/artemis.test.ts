import { describe, expect, it } from "vitest";
import {
  describeBrokerConformance,
  drain,
  hostPort,
  produce,
  RunningConsumer,
  serviceGate,
  TestHistory,
} from "../test/index.js";
import { capabilitiesFor } from "./adapter.js";
import { artemisFactory, DEFAULT_ARTEMIS_URL } from "./index.js";

/**
 * After an AMQP connection fails, Artemis closes the session's consumers twice, racing: as failed
 * (delivery counts stay incremented) once pending journal writes complete, and as a clean close
 * (counts decremented) from the connection's own teardown, which wins when accepts are still being
 * journalled. See README.md.
 */
const REDELIVERY_FLAG =
  "Artemis leaves a failed AMQP consumer's deliveries unflagged when its accepts were still being journalled";

const url = process.env.BROKERBENCH_ARTEMIS_URL || DEFAULT_ARTEMIS_URL;
const { host, port } = hostPort(url, 61616);
const gate = await serviceGate("artemis", host, port);

describeBrokerConformance(
  "artemis",
  artemisFactory,
  { url },
  {
    service: gate,
    unreachable: { settings: { url: "amqp://artemis:artemis@127.0.0.1:1" }, address: "127.0.0.1:1" },
    quietMs: 1000,
    loneConsumerOrder: "partition",
    redeliveryFlagUnreliable: REDELIVERY_FLAG,
  },
);

describeBrokerConformance(
  "artemis (routing=anycast)",
  { ...artemisFactory, capabilities: capabilitiesFor("anycast") },
  { url, routing: "anycast" },
  { service: gate, quietMs: 1000, loneConsumerOrder: "partition", redeliveryFlagUnreliable: REDELIVERY_FLAG },
);

describe.skipIf(!gate.available)(
  `artemis beyond the client's windows${gate.available ? "" : ` — SKIPPED: ${gate.reason}`}`,
  () => {
    // rhea keeps a delivery in its 2,048-slot session window until it is settled locally, also a
    // pre-settled one; and its session's outgoing buffer holds 2,048 sends.
    for (const mode of ["at-most-once", "at-least-once"] as const) {
      it(`moves 5,000 messages through one push consumer with 4 sends in flight (${mode})`, async () => {
        const adapter = await artemisFactory.connect({ url });
        const topic = `bb-conf-artemis-window-${mode}-${process.pid}`;
        const history = new TestHistory();
        try {
          await adapter.createTopic({ name: topic, partitions: 1 });
          const c = await RunningConsumer.start(adapter, history, {
            process: 100,
            group: "g1",
            topics: [topic],
            delivery: "push",
            mode,
            start: "latest",
            prefetch: 1000,
          });
          const lanes = await Promise.all(
            [1, 2, 3, 4].map((p) =>
              produce(adapter, history, { process: p, topic, mode, count: 1250, batch: 250 }),
            ),
          );
          const acked = lanes.flat();
          expect(acked).toHaveLength(5000);
          await drain(history, "g1", [c], acked, 1000);
          await c.close();
          expect(new Set(c.delivered).size).toBe(5000);
        } finally {
          await adapter.deleteTopic(topic);
          await adapter.close();
        }
      });
    }
  },
);
