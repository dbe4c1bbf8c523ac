/**
 * Push subscriptions on the emulator: what one request carries, how many are in flight, what a
 * failing, hanging or absent endpoint gets, and the adapter's endpoint going down and up again.
 * Throughput against endpoint slowness is a benchmark (`npm run bench -- pubsub-push`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorGate, TEST_URL } from "./gate.js";
import { parsePushEnvelope } from "./messages.js";
import { PushEndpoint } from "./push-endpoint.js";
import { RawEmulator, RecordingEndpoint, sleep } from "./test/raw.js";

const gate = await emulatorGate();

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

if (gate.fail) {
  describe("pubsub push", () => {
    it(`needs the emulator at ${gate.address}`, () => {
      throw new Error(gate.reason);
    });
  });
}

describe.skipIf(gate.skip || gate.fail)(
  `pubsub push subscriptions at ${gate.address}${gate.skip ? ` — SKIPPED: ${gate.reason}` : ""}`,
  () => {
    let emu: RawEmulator;
    const endpoints: RecordingEndpoint[] = [];
    const endpoint = async (respond: (data: string) => readonly [number, number] | null) => {
      const e = await RecordingEndpoint.open(respond);
      endpoints.push(e);
      return e;
    };
    beforeAll(() => {
      emu = new RawEmulator(TEST_URL);
    });
    afterAll(async () => {
      await emu?.close();
      for (const e of endpoints) await e.close();
    });

    it("one message per request: a JSON envelope with base64 data, attributes and messageId, but no orderingKey", async () => {
      const e = await endpoint(() => [204, 0]);
      const topic = await emu.topic("envelope");
      await emu.subscribe(topic, { pushConfig: { pushEndpoint: e.url }, enableMessageOrdering: true });
      const publisher = emu.pubsub.topic(topic.name, { messageOrdering: true });
      await publisher.publishMessage({
        data: Buffer.from("hello"),
        attributes: { "bb-key": "k1" },
        orderingKey: "k1",
      });
      expect(await until(() => e.requests.length >= 1, 10_000)).toBe(true);
      const envelope = parsePushEnvelope(JSON.stringify(e.requests[0]!.body));
      expect(envelope?.message.attributes).toEqual({ "bb-key": "k1" });
      expect(Buffer.from(envelope?.message.data ?? "", "base64").toString()).toBe("hello");
      expect(envelope?.message.messageId).toMatch(/^\d+$/);
      expect(envelope?.message.orderingKey).toBeUndefined();
    });

    it("at most 2 requests in flight per subscription, whatever the backlog; each subscription has its own 2", async () => {
      const e = await endpoint(() => [204, 30]);
      const topic = await emu.topic("window");
      await emu.subscribe(topic, { pushConfig: { pushEndpoint: e.url } }, "a");
      await emu.subscribe(topic, { pushConfig: { pushEndpoint: e.url } }, "b");
      await Promise.all(Array.from({ length: 60 }, (_, i) => emu.publish(topic, `m${i}`)));
      expect(await until(() => e.requests.length >= 120, 20_000), `${e.requests.length} of 120`).toBe(true);
      expect(e.maxInFlight).toBe(4);
    });

    it("a failed push (503 or 400) is retried about once a second, without growing backoff", async () => {
      let status = 503;
      const e = await endpoint(() => [status, 0]);
      const topic = await emu.topic("retry");
      await emu.subscribe(topic, { pushConfig: { pushEndpoint: e.url } });
      await emu.publish(topic, "x");
      expect(await until(() => e.received("x").length >= 4, 10_000)).toBe(true);
      status = 400;
      expect(await until(() => e.received("x").length >= 6, 10_000)).toBe(true);
      status = 204;
      const attempts = e.received("x");
      await sleep(2_500);
      expect(
        e.received("x").length - attempts.length,
        "acknowledged by the 204: not pushed again",
      ).toBeLessThanOrEqual(1);
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
      // Constant: the service backs off exponentially (from 100 ms up to 60 s); the emulator does not.
      for (const gap of gaps) expect(gap, `gaps ${gaps.join(", ")} ms`).toBeGreaterThan(500);
      expect(Math.max(...gaps), `gaps ${gaps.join(", ")} ms`).toBeLessThan(3 * Math.min(...gaps));
    });

    it("an unanswered push is pushed again after the ack deadline alongside the first; two unanswered stall the subscription", async () => {
      const e = await endpoint(() => null);
      const topic = await emu.topic("hang");
      await emu.subscribe(topic, { pushConfig: { pushEndpoint: e.url }, ackDeadlineSeconds: 1 });
      await emu.publish(topic, "a");
      expect(
        await until(() => e.received("a").length >= 2, 8_000),
        "pushed again while the first is open",
      ).toBe(true);
      const [first, second] = e.received("a");
      expect(second! - first!).toBeGreaterThanOrEqual(900);
      // Both slots now hang: nothing more is pushed to this subscription.
      await emu.publish(topic, "b");
      await sleep(3_000);
      expect(e.received("b")).toEqual([]);
      expect(e.requests.length).toBe(2);
    });

    it("with ordering keys, one request per key at a time, and a failing message holds its key", async () => {
      let failures = 0;
      const e = await endpoint((data) => {
        if (data === "k1:2" && failures < 2) {
          failures++;
          return [503, 0];
        }
        return [204, 20];
      });
      const topic = await emu.topic("push-order");
      await emu.subscribe(topic, { pushConfig: { pushEndpoint: e.url }, enableMessageOrdering: true });
      const publisher = emu.pubsub.topic(topic.name, { messageOrdering: true });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          publisher.publishMessage({
            data: Buffer.from(`k${i % 2}:${Math.floor(i / 2)}`),
            orderingKey: `k${i % 2}`,
          }),
        ),
      );
      expect(await until(() => e.requests.length >= 22, 15_000), `${e.requests.length} of 22`).toBe(true);
      const k1 = e.requests.filter((r) => r.data.startsWith("k1:")).map((r) => r.data);
      expect(k1.slice(0, 5)).toEqual(["k1:0", "k1:1", "k1:2", "k1:2", "k1:2"]);
      expect(k1.slice(5)).toEqual(["k1:3", "k1:4", "k1:5", "k1:6", "k1:7", "k1:8", "k1:9"]);
    });

    it("the adapter's endpoint: down while no consumer is behind it (connections refused), then served on the same port", async () => {
      const topic = await emu.topic("endpoint");
      const received: string[] = [];
      const member = {
        receive(
          envelope: NonNullable<ReturnType<typeof parsePushEnvelope>>,
          res: import("node:http").ServerResponse,
        ) {
          received.push(Buffer.from(envelope.message.data ?? "", "base64").toString());
          res.writeHead(204).end();
        },
      };
      const ep = await PushEndpoint.open("/push/test", async () => {});
      try {
        await ep.join(member);
        const url = ep.url;
        await emu.subscribe(topic, { pushConfig: { pushEndpoint: url } });
        await emu.publish(topic, "up");
        expect(await until(() => received.includes("up"), 10_000)).toBe(true);
        ep.leave(member);
        const refused = await fetch(url, { method: "POST", body: "{}" }).then(
          () => false,
          () => true,
        );
        expect(refused, "nothing listens while the group has no consumer").toBe(true);
        await emu.publish(topic, "while-down");
        await sleep(1_500);
        expect(received).not.toContain("while-down");
        await ep.join(member);
        expect(ep.url).toBe(url);
        expect(
          await until(() => received.includes("while-down"), 10_000),
          "pushed again once it serves",
        ).toBe(true);
      } finally {
        await ep.close();
      }
    });
  },
);
