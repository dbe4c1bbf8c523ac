/**
 * The broker's restart guarantees, over any LogFactory: whatever was acknowledged before a close
 * is there after reopening over the same storage. Run against memory logs here
 * (durability.test.ts); the file-log factory runs the same suite.
 */
import { describe, expect, it } from "vitest";
import type { LogFactory } from "../log-factory.js";
import { openBroker, range, values } from "./helpers.js";

export interface DurabilitySubject {
  /** Fresh, empty storage; reopening the broker uses the same factory. */
  make(): Promise<LogFactory> | LogFactory;
}

export function describeBrokerDurability(name: string, subject: DurabilitySubject): void {
  describe(`broker durability over ${name}`, () => {
    const restart = async (logs: LogFactory, options = {}) =>
      (await openBroker(logs, undefined, options)).broker;

    it("topics, messages and committed offsets survive a restart", async () => {
      const logs = await subject.make();
      const a = await restart(logs);
      await a.createTopic("t", 2);
      a.append({ topic: "t", partition: 1, records: range("m", 0, 3) });
      await a.commitOffsets({
        group: "g",
        memberId: null,
        generation: -1,
        offsets: [{ topic: "t", partition: 1, offset: 2 }],
      });
      await a.close();
      const b = await restart(logs);
      expect(b.listTopics()).toEqual([{ name: "t", partitions: 2 }]);
      expect(
        values(b.fetchNow({ partitions: [{ topic: "t", partition: 1, offset: 0 }] }).partitions[0]!),
      ).toEqual(["0:m0", "1:m1", "2:m2"]);
      expect(b.committedOffsets("g", [{ topic: "t", partition: 1 }])[0]!.offset).toBe(2);
      await b.close();
    });

    it("a compacted offsets log keeps every committed offset across restarts", async () => {
      const logs = await subject.make();
      const options = { offsetsCompactionRecords: 5 };
      const a = await restart(logs, options);
      await a.createTopic("t", 4);
      for (let i = 0; i < 40; i++) {
        await a.commitOffsets({
          group: `g${i % 3}`,
          memberId: null,
          generation: -1,
          offsets: [{ topic: "t", partition: i % 4, offset: i }],
        });
      }
      await new Promise((r) => setTimeout(r, 20));
      const before = ["g0", "g1", "g2"].map((g) => a.committedOffsets(g));
      await a.close();
      const b = await restart(logs, options);
      expect(["g0", "g1", "g2"].map((g) => b.committedOffsets(g))).toEqual(before);
      await b.close();
    });

    it("an idempotent retry after a restart returns the original offset", async () => {
      const logs = await subject.make();
      const a = await restart(logs);
      await a.createTopic("t", 1);
      const id = await a.initProducerId({});
      const send = (broker: typeof a) =>
        broker.append({
          topic: "t",
          partition: 0,
          records: range("m", 0, 2),
          producerId: id.producerId,
          producerEpoch: id.producerEpoch,
          baseSequence: 0,
        });
      expect(send(a)).toEqual({ baseOffset: 0, duplicate: false });
      await a.close();
      const b = await restart(logs);
      expect(send(b)).toEqual({ baseOffset: 0, duplicate: true });
      expect((await b.initProducerId({})).producerId).not.toBe(id.producerId);
      await b.close();
    });

    it("committed transactions stay visible and their offsets applied; aborted and open ones stay hidden", async () => {
      const logs = await subject.make();
      const a = await restart(logs);
      await a.createTopic("out", 1);
      const id = await a.initProducerId({ transactionalId: "tx" });
      const send = (prefix: string, seq: number) =>
        a.append({
          topic: "out",
          partition: 0,
          records: range(prefix, 0, 1),
          producerId: id.producerId,
          producerEpoch: id.producerEpoch,
          baseSequence: seq,
          transactional: true,
        });
      send("aborted", 0);
      await a.endTransaction({ producerId: id.producerId, producerEpoch: id.producerEpoch, commit: false });
      send("committed", 1);
      await a.commitTxnOffsets({
        producerId: id.producerId,
        producerEpoch: id.producerEpoch,
        commit: {
          group: "g",
          memberId: null,
          generation: -1,
          offsets: [{ topic: "out", partition: 0, offset: 7 }],
        },
      });
      await a.endTransaction({ producerId: id.producerId, producerEpoch: id.producerEpoch, commit: true });
      send("open", 2);
      await a.close();
      const b = await restart(logs);
      const read = () =>
        values(
          b.fetchNow({ partitions: [{ topic: "out", partition: 0, offset: 0 }], isolation: "read_committed" })
            .partitions[0]!,
        ).map((v) => v.split(":")[1]);
      expect(read()).toEqual(["committed0"]);
      expect(b.committedOffsets("g", [{ topic: "out", partition: 0 }])[0]!.offset).toBe(7);
      const fresh = await b.initProducerId({ transactionalId: "tx" });
      expect(fresh.producerEpoch).toBeGreaterThan(id.producerEpoch);
      b.append({ topic: "out", partition: 0, records: range("plain", 0, 1) });
      expect(read()).toEqual(["committed0", "plain0"]);
      await b.close();
    });

    it("queue-mode progress survives a restart", async () => {
      const logs = await subject.make();
      const a = await restart(logs);
      await a.createTopic("q", 1);
      a.append({ topic: "q", partition: 0, records: range("m", 0, 4) });
      const m = a.joinGroup({ group: "g", memberId: null, topics: ["q"], mode: "queue" });
      const got: number[] = [];
      a.queueSubscribe(
        { group: "g", memberId: m.memberId, generation: m.generation },
        {
          ackTimeoutMs: 60_000,
          maxDeliveries: 5,
          deadLetterTopic: null,
          prefetch: 10,
          isolation: "read_committed",
        },
        { deliver: (batch) => void got.push(...batch.map((d) => d.offset)) },
      );
      await new Promise((r) => setImmediate(r));
      await a.queueSettle({
        group: "g",
        memberId: m.memberId,
        acks: [0, 1].map((offset) => ({ topic: "q", partition: 0, offset })),
      });
      await a.close();
      const b = await restart(logs);
      expect(b.committedOffsets("g", [{ topic: "q", partition: 0 }])[0]!.offset).toBe(2);
      await b.close();
    });
  });
}
