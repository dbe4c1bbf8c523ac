/**
 * Exactly-once across crashes: a consume-process-produce pipeline (read `in` with a group, write
 * `out` and the input offsets in one transaction) killed at arbitrary points, the broker itself
 * restarted over the same logs at arbitrary points, still leaves every input exactly once in `out`
 * for read-committed readers — with `__consumer_offsets` compacted every few records meanwhile.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryLogFactory } from "../../storage/memory-log-factory.js";
import type { Broker } from "../broker.js";
import { openBroker, range, text } from "./helpers.js";

type Crash = "none" | "after-produce" | "after-offsets" | "broker-restart";

describe("exactly-once pipeline", () => {
  it("property: each input appears exactly once in the committed output, whatever crashes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.array(
          fc.record({
            crash: fc.constantFrom<Crash>("none", "after-produce", "after-offsets", "broker-restart"),
            // Batches processed completely before the crash.
            after: fc.integer({ min: 0, max: 3 }),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        fc.integer({ min: 1, max: 7 }),
        async (inputs, crashes, batch) => {
          const logs = new MemoryLogFactory();
          let { broker } = await openBroker(logs, undefined, { offsetsCompactionRecords: 4 });
          await broker.createTopic("in", 1);
          await broker.createTopic("out", 1);
          broker.append({ topic: "in", partition: 0, records: range("i", 0, inputs) });

          // One pipeline instance: join, fence the previous instance, process batches until a crash.
          const runInstance = async (b: Broker, crash: Crash, after: number): Promise<"crashed" | "done"> => {
            const m = b.joinGroup({ group: "g", memberId: null, topics: ["in"], sessionTimeoutMs: 100_000 });
            const id = await b.initProducerId({ transactionalId: "pipeline" });
            let seq = 0;
            for (let done = 0; ; done++) {
              const crashNow = done >= after;
              const from = b.committedOffsets("g", [{ topic: "in", partition: 0 }])[0]!.offset ?? 0;
              const r = b.fetchNow({
                partitions: [{ topic: "in", partition: 0, offset: from }],
                maxRecords: batch,
              });
              const p = r.partitions[0]!;
              if (p.count === 0) {
                b.leaveGroup({ group: "g", memberId: m.memberId });
                return "done";
              }
              const outputs: string[] = [];
              for (const bt of p.batches) {
                for (const rec of bt.records)
                  if (rec.offset >= from && rec.offset < p.nextOffset) outputs.push(text(rec.payload));
              }
              b.append({
                topic: "out",
                partition: 0,
                records: outputs.map((o) => ({ key: null, payload: new TextEncoder().encode(`out-${o}`) })),
                producerId: id.producerId,
                producerEpoch: id.producerEpoch,
                baseSequence: seq,
                transactional: true,
              });
              seq += outputs.length;
              if (crashNow && crash === "after-produce") return "crashed";
              await b.commitTxnOffsets({
                producerId: id.producerId,
                producerEpoch: id.producerEpoch,
                commit: {
                  group: "g",
                  memberId: m.memberId,
                  generation: m.generation,
                  offsets: [{ topic: "in", partition: 0, offset: p.nextOffset }],
                },
              });
              if (crashNow && (crash === "after-offsets" || crash === "broker-restart")) return "crashed";
              await b.endTransaction({
                producerId: id.producerId,
                producerEpoch: id.producerEpoch,
                commit: true,
              });
            }
          };

          let finished = false;
          for (const { crash, after } of [...crashes, { crash: "none" as const, after: 0 }]) {
            const outcome = await runInstance(broker, crash, after);
            if (crash === "broker-restart") {
              await broker.close();
              broker = (await openBroker(logs, undefined, { offsetsCompactionRecords: 4 })).broker;
            } else if (outcome === "crashed") {
              // The dead instance never leaves: its membership is dropped by the session timeout.
              const g = broker.describeGroup("g");
              for (const mem of g.members) broker.leaveGroup({ group: "g", memberId: mem.memberId });
            }
            if (outcome === "done") {
              finished = true;
              break;
            }
          }
          expect(finished).toBe(true);
          const out = broker.fetchNow({
            partitions: [{ topic: "out", partition: 0, offset: 0 }],
            maxRecords: 1e6,
            isolation: "read_committed",
          }).partitions[0]!;
          const got: string[] = [];
          for (const bt of out.batches) for (const rec of bt.records) got.push(text(rec.payload));
          expect(got).toEqual(Array.from({ length: inputs }, (_, i) => `out-i${i}`));
          await broker.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
