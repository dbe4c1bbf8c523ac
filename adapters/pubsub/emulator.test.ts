/**
 * What the Pub/Sub emulator does with each feature the adapter maps, through Google's client
 * straight on it. Every row of README.md's "What the emulator does" table names its test here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorGate, TEST_URL } from "./gate.js";
import { RawEmulator, sleep } from "./test/raw.js";

const gate = await emulatorGate();

if (gate.fail) {
  describe("pubsub emulator features", () => {
    it(`needs the emulator at ${gate.address}`, () => {
      throw new Error(gate.reason);
    });
  });
}

describe.skipIf(gate.skip || gate.fail)(
  `pubsub emulator features at ${gate.address}${gate.skip ? ` — SKIPPED: ${gate.reason}` : ""}`,
  () => {
    let emu: RawEmulator;
    beforeAll(() => {
      emu = new RawEmulator(TEST_URL);
    });
    afterAll(async () => {
      await emu?.close();
    });

    it("filters: a subscription keeps its filter but delivers every message, and a malformed filter is accepted (filters are neither parsed nor applied)", async () => {
      const topic = await emu.topic("filter");
      const filter = 'attributes.region = "eu"';
      const sub = await emu.subscribe(topic, { filter });
      const [meta] = await emu.pubsub.subscription(sub).getMetadata();
      expect(meta.filter).toBe(filter);
      for (const region of ["eu", "us", "eu", "asia"])
        await emu.publish(topic, region, { attributes: { region } });
      expect((await emu.drain(sub)).sort()).toEqual(["asia", "eu", "eu", "us"]);
      // The service answers INVALID_ARGUMENT to both: no such grammar, no numeric comparison.
      await emu.subscribe(topic, { filter: "not a filter ((" }, "garbage");
      await emu.subscribe(topic, { filter: "attributes.n > 3" }, "numeric");
    });

    it("exactly-once: an expired ack id is refused (and accepted without exactly-once); an acknowledged message never returns", async () => {
      const topic = await emu.topic("eod");
      const eod = await emu.subscribe(
        topic,
        { enableExactlyOnceDelivery: true, ackDeadlineSeconds: 1 },
        "eod",
      );
      const plain = await emu.subscribe(topic, { ackDeadlineSeconds: 1 }, "plain");
      await emu.publish(topic, "x");
      for (const [sub, exactlyOnce] of [
        [eod, true],
        [plain, false],
      ] as const) {
        const [first] = await emu.pull(sub);
        expect(first?.data).toBe("x");
        expect(await emu.pull(sub), "leased: not handed out twice").toEqual([]);
        const { messages } = await emu.waitFor(sub, 5_000);
        expect(
          messages.map((m) => m.data),
          "redelivered once the deadline passed",
        ).toEqual(["x"]);
        expect(messages[0]!.ackId).not.toBe(first!.ackId);
        const stale = emu.ack(sub, [first!]);
        if (exactlyOnce)
          await expect(stale).rejects.toMatchObject({ code: 3 }); // INVALID_ARGUMENT
        else await stale;
        await emu.ack(sub, messages);
        await sleep(1_500);
        expect(await emu.pull(sub), "acknowledged for good").toEqual([]);
      }
    });

    it("ordering: one key's messages arrive in publish order, but a nacked one comes back after the later ones", async () => {
      const topic = await emu.topic("order");
      const sub = await emu.subscribe(topic, { enableMessageOrdering: true });
      const publisher = emu.pubsub.topic(topic.name, { messageOrdering: true });
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          publisher.publishMessage({
            data: Buffer.from(`k${i % 2}:${Math.floor(i / 2)}`),
            orderingKey: `k${i % 2}`,
          }),
        ),
      );
      const first = await emu.pull(sub, 12);
      const byKey = (ms: readonly { data: string; orderingKey: string }[], key: string) =>
        ms.filter((m) => m.orderingKey === key).map((m) => Number(m.data.split(":")[1]));
      for (const key of ["k0", "k1"]) {
        const seqs = byKey(first, key);
        expect(seqs, key).toEqual([...seqs].sort((a, b) => a - b));
      }
      // Nack the first k1 message, ack the rest: the service would send it again first, then the
      // later k1 messages; the emulator sends the later ones first.
      const nacked = first.find((m) => m.orderingKey === "k1")!;
      await emu.nack(sub, [nacked]);
      await emu.ack(
        sub,
        first.filter((m) => m !== nacked),
      );
      const rest: { data: string; orderingKey: string }[] = [];
      for (let i = 0; i < 50 && rest.length < 40 - first.length + 1; i++) {
        const got = await emu.pull(sub);
        rest.push(...got);
        await emu.ack(sub, got);
        if (got.length === 0) await sleep(20);
      }
      const k1 = rest.filter((m) => m.orderingKey === "k1").map((m) => m.data);
      expect(k1).toContain(nacked.data);
      expect(k1.indexOf(nacked.data), `k1 after the nack: ${k1.join(" ")}`).toBe(k1.length - 1);
    });

    it("seek: to a time replays from the start of that time's second; to the future acknowledges everything", async () => {
      const topic = await emu.topic("seek");
      const sub = await emu.subscribe(topic, { retainAckedMessages: true });
      await emu.publish(topic, "a");
      // The next whole second, so that "b" is published in a later second than "a".
      await sleep(1_000 - (Date.now() % 1_000) + 50);
      const mid = new Date();
      await sleep(300);
      await emu.publish(topic, "b");
      expect(await emu.drain(sub)).toEqual(["a", "b"]);
      await emu.pubsub.subscription(sub).seek(mid);
      expect(await emu.drain(sub), "replayed from the second of `mid`").toEqual(["b"]);
      // A time later in the second "c" was published in still replays "c" (the service would not).
      let sameSecond = false;
      for (let attempt = 0; attempt < 3 && !sameSecond; attempt++) {
        await sleep(1_000 - (Date.now() % 1_000) + 20);
        await emu.publish(topic, "c");
        await sleep(200);
        const after = new Date();
        const [c] = await emu.pull(sub);
        await emu.ack(sub, c === undefined ? [] : [c]);
        sameSecond = c !== undefined && c.publishSeconds === Math.floor(after.getTime() / 1000);
        if (!sameSecond) continue; // a loaded machine crossed the second: try again
        await emu.pubsub.subscription(sub).seek(after);
        expect(await emu.drain(sub)).toContain("c");
      }
      expect(sameSecond, "published and sought within one second").toBe(true);
      await emu.pubsub.subscription(sub).seek(new Date(Date.now() + 60_000));
      expect(await emu.drain(sub), "seek to the future acknowledges all").toEqual([]);
    });

    it("seek: to a snapshot replays what was acknowledged after it", async () => {
      const topic = await emu.topic("snap");
      const sub = await emu.subscribe(topic, { retainAckedMessages: true });
      await emu.publish(topic, "before");
      expect(await emu.drain(sub)).toEqual(["before"]);
      const snapshot = emu.name("snap");
      const [snap] = await emu.pubsub.subscription(sub).createSnapshot(snapshot);
      try {
        await emu.publish(topic, "after");
        expect(await emu.drain(sub)).toEqual(["after"]);
        await emu.pubsub.subscription(sub).seek(snapshot);
        expect(await emu.drain(sub)).toEqual(["after"]);
      } finally {
        await snap.delete();
      }
    });

    it("seek: not implemented on a subscription with message ordering (UNIMPLEMENTED)", async () => {
      const topic = await emu.topic("seek-ordered", 600);
      const sub = await emu.subscribe(topic, { enableMessageOrdering: true });
      await expect(emu.pubsub.subscription(sub).seek(new Date())).rejects.toMatchObject({ code: 12 });
    });

    it("topic retention: a new subscription gets every retained message at once (the service: only what follows its creation, unless it seeks)", async () => {
      const retained = await emu.topic("retained", 600);
      const plain = await emu.topic("plain");
      for (const t of [retained, plain]) for (const d of ["m1", "m2"]) await emu.publish(t, d);
      const late = await emu.subscribe(retained);
      const latePlain = await emu.subscribe(plain);
      expect(await emu.drain(late)).toEqual(["m1", "m2"]);
      expect(await emu.drain(latePlain)).toEqual([]);
    });

    it("ack deadline: takes and honours deadlines under the service's 10 s minimum", async () => {
      const topic = await emu.topic("deadline");
      const sub = await emu.subscribe(topic, { ackDeadlineSeconds: 1 });
      const [meta] = await emu.pubsub.subscription(sub).getMetadata();
      expect(meta.ackDeadlineSeconds).toBe(1);
      await emu.publish(topic, "x");
      expect((await emu.pull(sub)).map((m) => m.data)).toEqual(["x"]);
      const { messages } = await emu.waitFor(sub, 8_000);
      expect(
        messages.map((m) => m.data),
        "back after the 1 s deadline, well before 10 s",
      ).toEqual(["x"]);
      await emu.ack(sub, messages);
    });

    it("StreamingPull flow control is not applied: a stream allowed 5 outstanding messages is sent all 50", async () => {
      const topic = await emu.topic("flow");
      const sub = await emu.subscribe(topic);
      for (let i = 0; i < 50; i++) await emu.publish(topic, `m${i}`);
      const stream = emu.subscriber.streamingPull();
      let received = 0;
      stream.on("data", (r: { receivedMessages?: unknown[] }) => {
        received += r.receivedMessages?.length ?? 0;
      });
      stream.on("error", () => {});
      stream.write({ subscription: emu.path(sub), streamAckDeadlineSeconds: 10, maxOutstandingMessages: 5 });
      await sleep(1_500);
      stream.end();
      stream.destroy();
      // The service stops at 5 unacknowledged messages on this stream; the emulator sends them all.
      expect(received).toBe(50);
    });

    it("ack deadline: StreamingPull refuses a stream deadline under 10 s, even on the emulator", async () => {
      const topic = await emu.topic("stream-deadline");
      const sub = await emu.subscribe(topic, { ackDeadlineSeconds: 2 });
      const stream = emu.subscriber.streamingPull();
      const status = new Promise<{ code: number; details: string }>((resolve) => {
        stream.on("error", (err: { code: number; details: string }) => resolve(err));
      });
      stream.write({ subscription: emu.path(sub), streamAckDeadlineSeconds: 2 });
      const err = await status;
      stream.destroy();
      expect(err.code).toBe(3);
      expect(err.details).toMatch(/between 10 and 600/);
    });

    it("retry policy: its minimum backoff is ignored (a nacked message is back at once) but deliveryAttempt is counted", async () => {
      const topic = await emu.topic("retry");
      const sub = await emu.subscribe(topic, {
        retryPolicy: { minimumBackoff: { seconds: 5 }, maximumBackoff: { seconds: 10 } },
      });
      await emu.publish(topic, "x");
      const [first] = await emu.pull(sub);
      expect(first?.deliveryAttempt).toBe(1);
      await emu.nack(sub, [first!]);
      const again = await emu.pull(sub);
      expect(
        again.map((m) => m.data),
        "redelivered at once, not after 5 s",
      ).toEqual(["x"]);
      expect(again[0]!.deliveryAttempt).toBe(2);
      await emu.ack(sub, again);
    });

    it("no redelivery count without a retry or dead-letter policy: deliveryAttempt stays 0", async () => {
      const topic = await emu.topic("attempts");
      const sub = await emu.subscribe(topic);
      await emu.publish(topic, "x");
      const [first] = await emu.pull(sub);
      await emu.nack(sub, [first!]);
      const again = await emu.pull(sub);
      expect([first!.deliveryAttempt, again[0]!.deliveryAttempt]).toEqual([0, 0]);
      await emu.ack(sub, again);
    });

    it("dead-letter policy: after maxDeliveryAttempts the message moves to the dead-letter topic", async () => {
      const dead = await emu.topic("dead");
      const deadSub = await emu.subscribe(dead);
      const topic = await emu.topic("dl");
      const sub = await emu.subscribe(topic, {
        deadLetterPolicy: { deadLetterTopic: dead.name, maxDeliveryAttempts: 5 },
      });
      await emu.publish(topic, "poison");
      const attempts: number[] = [];
      for (let i = 0; i < 20 && attempts.length < 6; i++) {
        const got = await emu.pull(sub);
        if (got.length === 0) {
          await sleep(50);
          continue;
        }
        attempts.push(got[0]!.deliveryAttempt);
        await emu.nack(sub, got);
      }
      expect(attempts).toEqual([1, 2, 3, 4, 5]);
      expect(await emu.drain(deadSub)).toEqual(["poison"]);
    });

    it("message size: takes 10 MB of data (the service's limit) and more; a request over 11,000,000 bytes is never answered", async () => {
      const topic = await emu.topic("size");
      const publisher = new (await import("@google-cloud/pubsub")).v1.PublisherClient({
        ...emu.pubsub.options,
        port: Number(emu.pubsub.options.port),
      });
      try {
        const publish = (bytes: number) =>
          publisher.publish(
            { topic: topic.name, messages: [{ data: Buffer.alloc(bytes, 1) }] },
            { timeout: 4_000, maxRetries: 0 },
          );
        const request = (bytes: number) => bytes + 5 + 5 + 2 + topic.name.length; // data and message framing, topic field
        // The largest data that fits an 11,000,000-byte request, then one byte more.
        const largest = 11_000_000 - request(0);
        await expect(publish(10_000_000)).resolves.toBeDefined();
        await expect(publish(largest)).resolves.toBeDefined();
        await expect(publish(largest + 1)).rejects.toMatchObject({ code: 4 }); // DEADLINE_EXCEEDED: no answer
      } finally {
        await publisher.close();
      }
    });
  },
);
