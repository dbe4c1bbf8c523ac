/**
 * The driver records what it knows, no more: a commit whose answer never came (the consumer was
 * killed with it on the wire) is an `invoke` followed by the `crash`, never an `ok`. Run against
 * the reference broker over TCP, where a kill really does cut a request in flight.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Adapter, Consumer } from "../contract.js";
import { referenceAdapter } from "../reference/index.js";
import { startBrokerServer } from "../reference/server/run.js";
import { drain, produce, RunningConsumer, waitUntil } from "./driver.js";
import { TestHistory } from "./history.js";
import { delivered, expectation, explain, groupCount, judge } from "./verdict.js";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "kit-driver-"));
const server = await startBrokerServer({ host: "127.0.0.1", port: 0, dataDir, flush: "none" });

afterAll(async () => {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The adapter, with `afterCommitSent` called right after each consumer commit is handed to it. */
function withCommitHook(adapter: Adapter, afterCommitSent: () => void): Adapter {
  const hooked = Object.create(adapter) as Adapter;
  hooked.createConsumer = async (o) => {
    const c: Consumer = await adapter.createConsumer(o);
    const commit = c.commit.bind(c);
    return Object.assign(Object.create(c) as Consumer, {
      commit: (ds: Parameters<Consumer["commit"]>[0]) => {
        const sent = commit(ds);
        afterCommitSent();
        return sent;
      },
    });
  };
  return hooked;
}

describe("test kit driver", () => {
  it("a kill with a commit on the wire leaves the commit unknown (invoke, crash, no ok); nothing is lost", async () => {
    const adapter = await referenceAdapter.connect({
      url: `127.0.0.1:${server.port}`,
      sessionTimeoutMs: "300",
    });
    const topic = "kill-during-commit";
    await adapter.createTopic({ name: topic, partitions: 1 });
    const history = new TestHistory();
    history.meta({
      adapter: "reference-tcp",
      workload: "driver",
      model: "log",
      expect: { delivery: "at-least-once", order: "none" },
    });
    try {
      let first: RunningConsumer | null = null;
      let killing: Promise<void> | null = null;
      const hooked = withCommitHook(adapter, () => {
        // The commit request is written; its answer is a round trip away: die now.
        killing ??= waitUntil(() => first !== null, 1_000).then(() => first!.kill());
      });
      const acked = await produce(adapter, history, { process: 1, topic, mode: "at-least-once", count: 40 });
      first = await RunningConsumer.start(hooked, history, {
        process: 100,
        group: "g",
        topics: [topic],
        delivery: "pull",
        mode: "at-least-once",
        start: "earliest",
        pollMax: 10,
      });
      expect(await waitUntil(() => killing !== null, 5_000), "the first commit was sent").toBe(true);
      await killing;
      const own = history.lines.filter((l) => l.process === 100 && (l.f === "commit" || l.f === "crash"));
      expect(own.map((l) => `${l.type} ${l.f}`)).toEqual(["invoke commit", "info crash"]);
      expect(first.committed).toEqual([]);
      expect(first.commitAttempted.length).toBe(10);

      const second = await RunningConsumer.start(adapter, history, {
        process: 101,
        group: "g",
        topics: [topic],
        delivery: "pull",
        mode: "at-least-once",
        start: "earliest",
      });
      await drain(history, "g", [second], acked, 1_000);
      await second.close();
      const v = judge(history, expectation("at-least-once"));
      expect(v.valid, explain(v)).toBe(true);
      expect(groupCount(v, "g", "lost"), explain(v)).toBe(0);
      expect(delivered(v, "g")).toBe(40);
      // Whether the broker applied the cut commit decides where the replacement starts (0 or 10).
      const redelivered = second.delivered.length - 30;
      expect([0, 10]).toContain(redelivered);
    } finally {
      await adapter.deleteTopic(topic);
      await adapter.close();
    }
  });
});
