import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../core/errors.js";
import type { Adapter, OutgoingMessage, PullConsumer } from "../contract.js";
import { describeBrokerConformance } from "../test/conformance.js";
import { serviceGate } from "../test/services.js";
import { kafkaFactory, parseSettings } from "./index.js";

const gate = await serviceGate("kafka", "127.0.0.1", 9092);
const settings = { url: "127.0.0.1:9092" };

describeBrokerConformance("kafka", kafkaFactory, settings, {
  service: gate,
  unreachable: { settings: { url: "127.0.0.1:1" }, address: "127.0.0.1:1" },
  redeliveryFlagUnreliable:
    "Kafka has no redelivery flag: a record fetched again because its offset was never committed looks like any other",
});

describe("kafka settings", () => {
  it("an unknown acks value is one usage error naming the setting, before connecting", async () => {
    const err = await kafkaFactory.connect({ acks: "2", url: "127.0.0.1:1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe("kafka: setting acks=2 must be 0, 1 or all");
  });

  it("presets are OMB's Kafka drivers, explicit settings win", () => {
    expect(parseSettings({ preset: "kafka-throughput" })).toMatchObject({
      acks: -1,
      lingerMs: 1,
      batchBytes: 1048576,
    });
    expect(parseSettings({ preset: "kafka-latency", lingerMs: "0" })).toMatchObject({
      lingerMs: 0,
      batchBytes: 131072,
    });
    expect(parseSettings({ preset: "kafka-exactly-once" })).toMatchObject({
      idempotence: true,
      maxInFlight: 1,
    });
    expect(() => parseSettings({ preset: "kafka-fast" })).toThrow(
      /preset=kafka-fast must be one of kafka-throughput/,
    );
    expect(() => parseSettings({ idempotence: "true", acks: "1" })).toThrow(
      /idempotence=true needs acks=all/,
    );
    expect(() => parseSettings({ url: "localhost" })).toThrow(/"localhost" is not host:port/);
  });
});
