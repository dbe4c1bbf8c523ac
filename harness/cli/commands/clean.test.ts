/**
 * `brokerbench clean` against the real brokers: what a run left (topics, queues, streams, groups)
 * is removed and listed; other names stay. A unique --prefix keeps it off everybody else's names on
 * these shared brokers (plain `brokerbench clean` removes every `bb-` name).
 */
import { execFileSync, spawn } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import { rabbitmqFactory } from "../../../adapters/rabbitmq/index.js";
import { listAmqpResources } from "../../../adapters/rabbitmq/listing.js";
import { redisStreamsFactory } from "../../../adapters/redis-streams/index.js";
import { serviceGate } from "../../../adapters/test/index.js";
import { servicesRequired } from "../../../adapters/test/services.js";
import { HostNetwork, hostsUnavailable } from "../../hosts/index.js";
import { main } from "../cli.js";

const rabbit = await serviceGate("rabbitmq", "127.0.0.1", 5672);
const redis = await serviceGate("redis", "127.0.0.1", 6379);
const noHosts = await hostsUnavailable();

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  return { code: await main(argv), out, err };
}

afterEach(() => vi.restoreAllMocks());

describe("brokerbench clean", () => {
  it("refuses a prefix that is not brokerbench's", async () => {
    const r = await cli("clean", "--prefix", "orders");
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      "brokerbench: --prefix orders: must start with bb- (only what brokerbench created is removed)",
    ]);
  });

  it.skipIf(noHosts !== null && !servicesRequired())(
    `removes the namespaces a killed run left${noHosts === null ? "" : ` — SKIPPED: ${noHosts}`}`,
    async () => {
      const left = await HostNetwork.create(2);
      try {
        // The run that made it was killed: its pid is gone.
        const gone = spawn("true");
        await new Promise((r) => gone.once("exit", r));
        execFileSync("ip", ["link", "set", left.bridge, "alias", `brokerbench hosts pid=${gone.pid}`]);
        const r = await cli("clean", "-a", "reference");
        expect(r.code).toBe(0);
        expect(r.out.find((l) => l.startsWith("hosts: "))).toMatch(
          new RegExp(`^hosts: removed \\d+ leftover network\\(s\\): .*bb-${left.id} \\(2 namespaces\\)`),
        );
        expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(`bb-${left.id}-`);
      } finally {
        await left.destroy();
      }
    },
  );

  it.skipIf(rabbit.skip || redis.skip)(
    `removes a run's queues, exchanges and streams, saying what (${rabbit.reason}; ${redis.reason})`,
    async () => {
      const run = `bb-cli${process.pid}x${Date.now().toString(36)}`;
      const rmq = await rabbitmqFactory.connect({});
      const rs = await redisStreamsFactory.connect({});
      try {
        await rmq.createTopic({ name: `${run}-0`, partitions: 1 });
        const c = await rmq.createConsumer({
          process: 1,
          group: `${run}-g1`,
          topics: [`${run}-0`],
          delivery: "pull",
          mode: "at-least-once",
          start: "latest",
          prefetch: 10,
        });
        await c.close();
        await rs.createTopic({ name: `${run}-0`, partitions: 1 });
        await rs.createTopic({ name: `${run}-1`, partitions: 1 });
        // The stream itself appears with its first group (or message).
        const g = await rs.createConsumer({
          process: 2,
          group: `${run}-g1`,
          topics: [`${run}-0`],
          delivery: "pull",
          mode: "at-least-once",
          start: "earliest",
          prefetch: 10,
        });
        await g.close();
      } finally {
        await rmq.close();
        await rs.close();
      }
      const r = await cli("clean", "-a", "rabbitmq,redis-streams,mqtt", "--prefix", run);
      expect(r.code).toBe(0);
      expect(r.out.filter((l) => !l.startsWith("hosts: "))).toEqual([
        `rabbitmq: removed 2: queue ${run}-0.${run}-g1, exchange ${run}-0`,
        `redis-streams: removed 3: ${run}-0, ${run}-0:base, ${run}-1:base`,
        "mqtt: cannot list its broker's resources, so nothing was removed (see its README)",
      ]);
      // What the broker itself lists now.
      const left = await listAmqpResources("amqp://guest:guest@127.0.0.1:5672", "");
      expect([...left.queues, ...left.exchanges].filter((n) => n.startsWith(run))).toEqual([]);
      const again = await cli("clean", "-a", "rabbitmq,redis-streams", "--prefix", run);
      expect(again.out.filter((l) => !l.startsWith("hosts: "))).toEqual([
        "rabbitmq: nothing to remove",
        "redis-streams: nothing to remove",
      ]);
    },
    120_000,
  );

  it("an unreachable broker fails the command when named, and is skipped under all", async () => {
    const named = await cli("clean", "-a", "nats", "--set", "url=nats://127.0.0.1:1", "--prefix", "bb-none");
    expect(named.code).toBe(1);
    expect(named.out[0]).toMatch(/^nats: nats: cannot reach the broker at .*127\.0\.0\.1:1/);
    const all = await cli(
      "clean",
      "--set",
      "url=nats://127.0.0.1:1",
      "-a",
      "nats,all",
      "--prefix",
      "bb-none",
    );
    expect(all.out.find((l) => l.startsWith("nats:"))).toMatch(/\(skipped\)$/);
  }, 60_000);
});
