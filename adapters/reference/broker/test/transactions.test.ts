import { describe, expect, it } from "vitest";
import type { Broker } from "../broker.js";
import type { Isolation } from "../partition.js";
import { openBroker, range, values } from "./helpers.js";

function read(broker: Broker, topic: string, isolation: Isolation, partition = 0): string[] {
  const r = broker.fetchNow({ partitions: [{ topic, partition, offset: 0 }], isolation, maxRecords: 1e6 });
  return values(r.partitions[0]!).map((v) => v.split(":")[1]!);
}

async function txnProducer(broker: Broker, transactionalId: string) {
  const id = await broker.initProducerId({ transactionalId });
  let seq = 0;
  return {
    ...id,
    send(topic: string, prefix: string, n: number) {
      const r = broker.append({
        topic,
        partition: 0,
        records: range(prefix, 0, n),
        producerId: id.producerId,
        producerEpoch: id.producerEpoch,
        baseSequence: seq,
        transactional: true,
      });
      seq += n;
      return r;
    },
    end: (commit: boolean) =>
      broker.endTransaction({ producerId: id.producerId, producerEpoch: id.producerEpoch, commit }),
  };
}

describe("transactions", () => {
  it("read-committed readers never see aborted messages; read-uncommitted readers do", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("out", 1);
    const p = await txnProducer(broker, "tx");
    p.send("out", "a", 2);
    await p.end(false);
    p.send("out", "c", 2);
    await p.end(true);
    expect(read(broker, "out", "read_committed")).toEqual(["c0", "c1"]);
    expect(read(broker, "out", "read_uncommitted")).toEqual(["a0", "a1", "c0", "c1"]);
    await broker.close();
  });

  it("an open transaction holds back read-committed readers at its first offset (last stable offset)", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("out", 1);
    broker.append({ topic: "out", partition: 0, records: range("before", 0, 1) });
    const p = await txnProducer(broker, "tx");
    p.send("out", "t", 2);
    broker.append({ topic: "out", partition: 0, records: range("plain", 0, 1) });
    expect(read(broker, "out", "read_committed")).toEqual(["before0"]);
    const f = broker.fetchNow({
      partitions: [{ topic: "out", partition: 0, offset: 0 }],
      isolation: "read_committed",
    });
    expect(f.partitions[0]!.lastStableOffset).toBe(1);
    await p.end(true);
    expect(read(broker, "out", "read_committed")).toEqual(["before0", "t0", "t1", "plain0"]);
    await broker.close();
  });

  it("a read-committed long-poll wakes when the transaction commits", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("out", 1);
    const p = await txnProducer(broker, "tx");
    p.send("out", "t", 3);
    const waiting = broker.fetch({
      partitions: [{ topic: "out", partition: 0, offset: 0 }],
      isolation: "read_committed",
      waitMs: 5000,
    });
    setTimeout(() => void p.end(true), 10);
    const r = await waiting;
    expect(r.count).toBe(3);
    await broker.close();
  });

  it("consume-process-produce: offsets and outputs commit together, or neither does", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("in", 1);
    await broker.createTopic("out", 1);
    broker.append({ topic: "in", partition: 0, records: range("in", 0, 4) });
    const m = broker.joinGroup({ group: "g", memberId: null, topics: ["in"] });
    const p = await txnProducer(broker, "pipeline");
    const commitOffset = (offset: number) =>
      broker.commitTxnOffsets({
        producerId: p.producerId,
        producerEpoch: p.producerEpoch,
        commit: {
          group: "g",
          memberId: m.memberId,
          generation: m.generation,
          offsets: [{ topic: "in", partition: 0, offset }],
        },
      });
    const committed = () => broker.committedOffsets("g", [{ topic: "in", partition: 0 }])[0]!.offset;

    // Aborted: neither the output nor the offset.
    p.send("out", "x", 2);
    await commitOffset(2);
    expect(committed()).toBeNull();
    await p.end(false);
    expect(committed()).toBeNull();
    expect(read(broker, "out", "read_committed")).toEqual([]);

    // Committed: both.
    p.send("out", "y", 2);
    await commitOffset(2);
    expect(committed()).toBeNull();
    await p.end(true);
    expect(committed()).toBe(2);
    expect(read(broker, "out", "read_committed")).toEqual(["y0", "y1"]);
    await broker.close();
  });

  it("a stale group generation cannot commit offsets in a transaction", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("in", 1);
    const m = broker.joinGroup({ group: "g", memberId: null, topics: ["in"] });
    broker.joinGroup({ group: "g", memberId: null, topics: ["in"] });
    const p = await txnProducer(broker, "tx");
    await expect(
      broker.commitTxnOffsets({
        producerId: p.producerId,
        producerEpoch: p.producerEpoch,
        commit: {
          group: "g",
          memberId: m.memberId,
          generation: m.generation,
          offsets: [{ topic: "in", partition: 0, offset: 1 }],
        },
      }),
    ).rejects.toMatchObject({ info: { name: "ILLEGAL_GENERATION" } });
    await broker.close();
  });

  it("a new instance with the same transactional id fences the old one and aborts its open transaction", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("out", 1);
    const old = await txnProducer(broker, "tx");
    old.send("out", "zombie", 2);
    const fresh = await txnProducer(broker, "tx");
    expect(fresh.producerId).toBe(old.producerId);
    expect(fresh.producerEpoch).toBe(old.producerEpoch + 1);
    expect(() => old.send("out", "late", 1)).toThrow(/INVALID_PRODUCER_EPOCH/);
    await expect(old.end(true)).rejects.toMatchObject({ info: { name: "INVALID_PRODUCER_EPOCH" } });
    fresh.send("out", "new", 1);
    await fresh.end(true);
    expect(read(broker, "out", "read_committed")).toEqual(["new0"]);
    await broker.close();
  });

  // Two instances taking over one transactional id at once (a rebalance right after a broker
  // restart left the previous owner's transaction open): each init must get an epoch of its own,
  // or both write into one transaction and the one whose offsets are refused gets committed
  // anyway by the other (seen as a regressed aggregate in the exactly-once pipeline).
  it("concurrent inits while a transaction is open: each gets its own epoch, only the newest writes", async () => {
    const { broker } = await openBroker();
    await broker.createTopic("out", 1);
    const old = await txnProducer(broker, "tx");
    old.send("out", "zombie", 2);
    const [a, b] = await Promise.all([txnProducer(broker, "tx"), txnProducer(broker, "tx")]);
    expect(new Set([old.producerEpoch, a.producerEpoch, b.producerEpoch]).size).toBe(3);
    const [older, newer] = a.producerEpoch < b.producerEpoch ? [a, b] : [b, a];
    expect(() => older.send("out", "fenced", 1)).toThrow(/INVALID_PRODUCER_EPOCH/);
    newer.send("out", "new", 1);
    await newer.end(true);
    expect(read(broker, "out", "read_committed")).toEqual(["new0"]);
    await broker.close();
  });

  it("concurrent inits of a new transactional id: each gets its own epoch", async () => {
    const { broker } = await openBroker();
    const ids = await Promise.all([1, 2, 3].map(() => broker.initProducerId({ transactionalId: "fresh" })));
    expect(new Set(ids.map((i) => i.producerId)).size).toBe(1);
    expect(ids.map((i) => i.producerEpoch).sort()).toEqual([0, 1, 2]);
    await broker.close();
  });

  it("an open transaction past its timeout is aborted by the broker", async () => {
    const { broker, clock } = await openBroker();
    await broker.createTopic("out", 1);
    const id = await broker.initProducerId({ transactionalId: "tx", transactionTimeoutMs: 1000 });
    broker.append({
      topic: "out",
      partition: 0,
      records: range("t", 0, 1),
      producerId: id.producerId,
      producerEpoch: id.producerEpoch,
      baseSequence: 0,
      transactional: true,
    });
    broker.append({ topic: "out", partition: 0, records: range("plain", 0, 1) });
    expect(read(broker, "out", "read_committed")).toEqual([]);
    clock.advance(1001);
    broker.tick();
    await new Promise((r) => setTimeout(r, 10));
    expect(read(broker, "out", "read_committed")).toEqual(["plain0"]);
    await broker.close();
  });

  it("after a restart: committed transactions stay visible, aborted ones hidden, offsets applied", async () => {
    const first = await openBroker();
    await first.broker.createTopic("in", 1);
    await first.broker.createTopic("out", 1);
    const m = first.broker.joinGroup({ group: "g", memberId: null, topics: ["in"] });
    const p = await txnProducer(first.broker, "tx");
    p.send("out", "gone", 1);
    await p.end(false);
    p.send("out", "kept", 1);
    await first.broker.commitTxnOffsets({
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      commit: {
        group: "g",
        memberId: m.memberId,
        generation: m.generation,
        offsets: [{ topic: "in", partition: 0, offset: 7 }],
      },
    });
    await p.end(true);
    p.send("out", "open", 1);
    await first.broker.close();

    const second = await openBroker(first.logs);
    expect(read(second.broker, "out", "read_committed")).toEqual(["kept0"]);
    expect(second.broker.committedOffsets("g", [{ topic: "in", partition: 0 }])[0]!.offset).toBe(7);
    // The transaction left open by the crash is aborted when the producer comes back (fencing).
    await second.broker.initProducerId({ transactionalId: "tx" });
    second.broker.append({ topic: "out", partition: 0, records: range("after", 0, 1) });
    expect(read(second.broker, "out", "read_committed")).toEqual(["kept0", "after0"]);
    await second.broker.close();
  });

  it("on open, transactional data no transaction knows about (lost registration) is aborted, not left blocking", async () => {
    const first = await openBroker();
    await first.broker.createTopic("out", 1);
    await first.broker.close();
    // A crash lost the registration in __cluster, but the data reached the partition.
    const log = await first.logs.open("out", 0);
    log.append(
      {
        producerId: 99,
        producerEpoch: 0,
        baseSequence: 0,
        transactional: true,
        control: null,
        timestampMs: 0,
      },
      range("orphan", 0, 1),
    );
    log.append(
      {
        producerId: -1,
        producerEpoch: -1,
        baseSequence: -1,
        transactional: false,
        control: null,
        timestampMs: 0,
      },
      range("plain", 0, 1),
    );
    await log.close();
    const second = await openBroker(first.logs);
    expect(read(second.broker, "out", "read_committed")).toEqual(["plain0"]);
    await second.broker.close();
  });
});
