import { describe, expect, it } from "vitest";
import { BROKER_ERRORS, type BrokerErrorInfo } from "../errors.js";
import type { PartitionRecords } from "../partition.js";
import { openBroker, range, values } from "./helpers.js";

const tick = () => new Promise((r) => setImmediate(r));

/** A subscriber that holds every delivery until released (a slow consumer). */
function slowSink() {
  const got: string[] = [];
  const pending: (() => void)[] = [];
  let closedWith: BrokerErrorInfo | null | undefined;
  return {
    got,
    pending,
    get closedWith() {
      return closedWith;
    },
    sink: {
      deliver: (r: PartitionRecords) => {
        got.push(...values(r));
        return new Promise<void>((resolve) => pending.push(resolve));
      },
      closed: (e: BrokerErrorInfo | null) => {
        closedWith = e;
      },
    },
    releaseAll() {
      for (const r of pending.splice(0)) r();
    },
  };
}

describe("push subscriptions", () => {
  it("delivers appended messages in order, from the starting offset", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    broker.append({ topic: "t", partition: 0, records: range("m", 0, 5) });
    const got: string[] = [];
    broker.subscribe(
      { partitions: [{ topic: "t", partition: 0, offset: 2 }], flow: { kind: "credit", credit: 1000 } },
      { deliver: (r) => void got.push(...values(r)) },
    );
    broker.append({ topic: "t", partition: 0, records: range("m", 5, 8) });
    await tick();
    broker.append({ topic: "t", partition: 0, records: range("m", 8, 10) });
    await tick();
    expect(got).toEqual(["2:m2", "3:m3", "4:m4", "5:m5", "6:m6", "7:m7", "8:m8", "9:m9"]);
    await broker.close();
  });

  it("credit: never delivers beyond the granted window; a grant resumes exactly where it stopped", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    const got: string[] = [];
    const sub = broker.subscribe(
      { partitions: [{ topic: "t", partition: 0, offset: 0 }], flow: { kind: "credit", credit: 3 } },
      { deliver: (r) => void got.push(...values(r)) },
    );
    broker.append({ topic: "t", partition: 0, records: range("m", 0, 10) });
    await tick();
    expect(got).toEqual(["0:m0", "1:m1", "2:m2"]);
    expect(sub.stats().credit).toBe(0);
    broker.append({ topic: "t", partition: 0, records: range("m", 10, 12) });
    await tick();
    expect(got).toHaveLength(3);
    sub.grant(4);
    await tick();
    expect(got.slice(3)).toEqual(["3:m3", "4:m4", "5:m5", "6:m6"]);
    sub.grant(100);
    await tick();
    expect(got).toHaveLength(12);
    expect(sub.stats().droppedMessages).toBe(0);
    await broker.close();
  });

  it("credit: a slow subscriber is never called concurrently and loses nothing", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    const s = slowSink();
    broker.subscribe(
      { partitions: [{ topic: "t", partition: 0, offset: 0 }], flow: { kind: "credit", credit: 1_000_000 } },
      s.sink,
    );
    for (let i = 0; i < 5; i++)
      broker.append({ topic: "t", partition: 0, records: range("m", i * 10, i * 10 + 10) });
    await tick();
    expect(s.pending).toHaveLength(1);
    while (s.pending.length > 0) {
      s.releaseAll();
      await tick();
      expect(s.pending.length).toBeLessThanOrEqual(1);
    }
    expect(s.got).toHaveLength(50);
    await broker.close();
  });

  it("buffer/drop: a slow subscriber keeps the buffer's worth, the rest is dropped and counted", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    const s = slowSink();
    const sub = broker.subscribe(
      {
        partitions: [{ topic: "t", partition: 0, offset: 0 }],
        flow: { kind: "buffer", capacity: 25, overflow: "drop" },
      },
      s.sink,
    );
    for (let i = 0; i < 10; i++)
      broker.append({ topic: "t", partition: 0, records: range("m", i * 10, i * 10 + 10) });
    await tick();
    // 25 fit in the buffer (the first chunk is being delivered), 75 dropped.
    expect(sub.stats().droppedMessages).toBe(75);
    while (s.pending.length > 0) {
      s.releaseAll();
      await tick();
    }
    expect(s.got).toHaveLength(25);
    expect(s.got[0]).toBe("0:m0");
    // Once drained, new messages flow again.
    broker.append({ topic: "t", partition: 0, records: range("n", 0, 3) });
    await tick();
    expect(s.got.slice(25)).toEqual(["100:n0", "101:n1", "102:n2"]);
    expect(sub.stats()).toMatchObject({ deliveredMessages: 28, droppedMessages: 75 });
    await broker.close();
  });

  it("buffer/disconnect: overflow ends the subscription with SUBSCRIBER_OVERFLOW", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    const s = slowSink();
    const sub = broker.subscribe(
      {
        partitions: [{ topic: "t", partition: 0, offset: 0 }],
        flow: { kind: "buffer", capacity: 15, overflow: "disconnect" },
      },
      s.sink,
    );
    broker.append({ topic: "t", partition: 0, records: range("m", 0, 10) });
    await tick();
    expect(s.closedWith).toBeUndefined();
    broker.append({ topic: "t", partition: 0, records: range("m", 10, 20) });
    await tick();
    expect(s.closedWith).toBe(BROKER_ERRORS.SUBSCRIBER_OVERFLOW);
    expect(sub.closed).toBe(true);
    await broker.close();
  });

  it("buffer: a subscriber that keeps up never drops", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    const got: string[] = [];
    const sub = broker.subscribe(
      {
        partitions: [{ topic: "t", partition: 0, offset: 0 }],
        flow: { kind: "buffer", capacity: 100, overflow: "drop" },
      },
      { deliver: (r) => void got.push(...values(r)) },
    );
    for (let i = 0; i < 50; i++) {
      broker.append({ topic: "t", partition: 0, records: range("m", i * 10, i * 10 + 10) });
      await tick();
    }
    expect(got).toHaveLength(500);
    expect(sub.stats().droppedMessages).toBe(0);
    await broker.close();
  });

  it("reassign moves the subscription to other partitions and offsets; close stops it", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 2);
    const got: string[] = [];
    const sub = broker.subscribe(
      { partitions: [{ topic: "t", partition: 0, offset: 0 }], flow: { kind: "credit", credit: 100 } },
      { deliver: (r) => void got.push(`p${r.partition}`, ...values(r)) },
    );
    broker.append({ topic: "t", partition: 1, records: range("x", 0, 3) });
    await tick();
    expect(got).toEqual([]);
    broker.reassign(sub, [{ topic: "t", partition: 1, offset: 1 }]);
    await tick();
    expect(got).toEqual(["p1", "1:x1", "2:x2"]);
    sub.close();
    broker.append({ topic: "t", partition: 1, records: range("x", 3, 4) });
    await tick();
    expect(got).toHaveLength(3);
    await broker.close();
  });

  it("broker close ends subscriptions with BROKER_CLOSED", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("t", 1);
    const s = slowSink();
    broker.subscribe(
      { partitions: [{ topic: "t", partition: 0, offset: 0 }], flow: { kind: "credit", credit: 1 } },
      s.sink,
    );
    await broker.close();
    expect(s.closedWith).toBe(BROKER_ERRORS.BROKER_CLOSED);
  });
});
