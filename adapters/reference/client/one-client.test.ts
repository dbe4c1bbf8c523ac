/**
 * Behaviours the in-process and the TCP client once disagreed on (issue 12's four drifts), now one
 * client over one broker interface: each is checked on both transports, and each test fails on what
 * one of the old paths did.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodePayload, encodePayload } from "../../../core/payload.js";
import type { Adapter, Delivery, OutgoingMessage } from "../../contract.js";
import type { Broker } from "../broker/broker.js";
import { BROKER_ERRORS, BrokerError, isBrokerError } from "../broker/errors.js";
import { referenceAdapter } from "../index.js";
import { errorFromWire } from "../protocol/errors.js";
import { startBrokerServer } from "../server/run.js";
import { connectEmbedded } from "./adapter.js";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ref-one-client-"));
const server = await startBrokerServer({ host: "127.0.0.1", port: 0, dataDir, flush: "none" });
afterAll(async () => {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Transport {
  readonly name: string;
  connect(settings: Record<string, string>): Promise<{ adapter: Adapter; broker: Broker }>;
}

const TRANSPORTS: readonly Transport[] = [
  {
    name: "in process",
    async connect(settings) {
      const adapter = await connectEmbedded(settings);
      return { adapter, broker: adapter.broker };
    },
  },
  {
    name: "over TCP",
    async connect(settings) {
      const adapter = await referenceAdapter.connect({ ...settings, url: `127.0.0.1:${server.port}` });
      return { adapter, broker: server.broker };
    },
  },
];

let serial = 0;
const fresh = (what: string) => `bb-one-${what}-${process.pid}-${++serial}`;

function batch(topic: string, from: number, n: number): OutgoingMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    topic,
    key: null,
    payload: encodePayload(100, 1, from + i, 0),
  }));
}

const base = { mode: "at-least-once" as const, prefetch: 100 };

async function pollUntil(
  c: { poll(max: number, waitMs: number): Promise<readonly Delivery[]> },
  n: number,
  ms = 3000,
): Promise<Delivery[]> {
  const got: Delivery[] = [];
  const deadline = Date.now() + ms;
  while (got.length < n && Date.now() < deadline) got.push(...(await c.poll(100, 50)));
  return got;
}

describe.each(TRANSPORTS)("the reference client $name", (t) => {
  it("sends key-less batches of an adapter's producers to the partitions in turn, across producers", async () => {
    const { adapter } = await t.connect({});
    const topic = fresh("keyless");
    await adapter.createTopic({ name: topic, partitions: 2 });
    const p1 = await adapter.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
    const p2 = await adapter.createProducer({ process: 2, mode: "at-least-once", idempotent: false });
    const partitions: number[] = [];
    for (const p of [p1, p2, p1, p2]) partitions.push((await p.send(batch(topic, 0, 3)))[0]!.partition);
    // Each producer counting from 0 (the old TCP client) gave 0, 0, 1, 1.
    expect(partitions).toEqual([0, 1, 0, 1]);
    await adapter.deleteTopic(topic);
    await adapter.close();
  });

  it.each(["earliest", "latest"] as const)(
    "pull from a committed offset past the end of the log resets as start=%s says (does not poll empty forever)",
    async (start) => {
      const { adapter, broker } = await t.connect({});
      const topic = fresh("past-end");
      await adapter.createTopic({ name: topic, partitions: 1 });
      const p = await adapter.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
      await p.send(batch(topic, 0, 10));
      const group = fresh("g");
      // As if the log had been recreated under the group: its committed offset lies past the end.
      await broker.commitOffsets({
        group,
        memberId: null,
        generation: -1,
        offsets: [{ topic, partition: 0, offset: 1000 }],
      });
      const c = await adapter.createConsumer({
        ...base,
        process: 2,
        group,
        topics: [topic],
        delivery: "pull",
        start,
      });
      if (c.delivery !== "pull") throw new Error("pull expected");
      // Polls meet the bad offset and reset; at latest, only what is produced from now on is owed.
      if (start === "latest") expect(await c.poll(100, 50)).toEqual([]);
      await p.send(batch(topic, 10, 5));
      const got = await pollUntil(c, start === "earliest" ? 15 : 5);
      const seqs = got.map((d) => decodePayload(d.payload).sequence);
      expect(seqs).toEqual(
        start === "earliest" ? Array.from({ length: 15 }, (_, i) => i) : [10, 11, 12, 13, 14],
      );
      await c.close();
      await adapter.deleteTopic(topic);
      await adapter.close();
    },
  );

  it("joins a queue group with the configured assignment strategy, as every other member does", async () => {
    const { adapter, broker } = await t.connect({ queue: "true", assignment: "roundrobin" });
    const topic = fresh("queue-join");
    await adapter.createTopic({ name: topic, partitions: 2 });
    const group = fresh("g");
    // Another client of the group, joined with the strategy both were configured with.
    const other = broker.joinGroup({
      group,
      memberId: null,
      topics: [topic],
      strategy: "roundrobin",
      mode: "queue",
    });
    // The old in-process client joined with the default (range): INCONSISTENT_GROUP_PROTOCOL.
    const c = await adapter.createConsumer({
      ...base,
      process: 2,
      group,
      topics: [topic],
      delivery: "pull",
      start: "earliest",
    });
    expect(broker.describeGroup(group).members).toHaveLength(2);
    await c.close();
    broker.leaveGroup({ group, memberId: other.memberId });
    await adapter.deleteTopic(topic);
    await adapter.close();
  });

  it("clean removes the topics carrying the prefix and nothing else", async () => {
    const { adapter } = await t.connect({});
    const prefix = fresh("clean");
    for (const name of [`${prefix}-a`, `${prefix}-b`, `keep-${prefix}`])
      await adapter.createTopic({ name, partitions: 1 });
    expect(await adapter.clean!(prefix)).toEqual([`${prefix}-a`, `${prefix}-b`]);
    expect(await adapter.clean!(prefix)).toEqual([]);
    await adapter.deleteTopic(`keep-${prefix}`);
    await adapter.close();
  });

  it("refusals are the broker's table entries (a commit fenced by a rebalance is ILLEGAL_GENERATION)", async () => {
    const { adapter } = await t.connect({ sessionTimeoutMs: "60000" });
    const topic = fresh("fenced");
    await adapter.createTopic({ name: topic, partitions: 1 });
    const p = await adapter.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
    await p.send(batch(topic, 0, 10));
    const group = fresh("g");
    const c1 = await adapter.createConsumer({
      ...base,
      process: 2,
      group,
      topics: [topic],
      delivery: "pull",
      start: "earliest",
    });
    if (c1.delivery !== "pull") throw new Error("pull expected");
    const got = await pollUntil(c1, 10);
    // Two rebalances c1 does not see: the partition was c2's in between (its member id sorts first).
    const c2 = await adapter.createConsumer({
      ...base,
      process: 1,
      group,
      topics: [topic],
      delivery: "pull",
      start: "earliest",
    });
    await c2.close();
    const err = await c1.commit(got).then(
      () => null,
      (e: unknown) => e,
    );
    // The old TCP client threw its own ServerError, matched by hard-coded wire codes.
    expect(err).toBeInstanceOf(BrokerError);
    expect(isBrokerError(err, "ILLEGAL_GENERATION")).toBe(true);
    expect((err as BrokerError).info).toBe(BROKER_ERRORS.ILLEGAL_GENERATION);
    await c1.close();
    await adapter.deleteTopic(topic);
    await adapter.close();
  });
});

describe("wire error codes", () => {
  it("every entry of the broker's table comes back from the wire as itself", () => {
    for (const info of Object.values(BROKER_ERRORS)) {
      const e = errorFromWire(info.code, `${info.name}: detail`);
      expect(e.info).toBe(info);
      expect(e.retriable).toBe(info.retriable);
      expect(e.message).toBe(`${info.name}: detail`);
    }
    expect(errorFromWire(35, null).info.name).toBe("UNSUPPORTED_VERSION");
    expect(errorFromWire(9999, "x").info).toBe(BROKER_ERRORS.UNKNOWN_SERVER_ERROR);
  });
});
