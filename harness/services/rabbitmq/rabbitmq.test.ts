/**
 * A private RabbitMQ node: 100 confirmed persistent and 100 confirmed transient messages into a
 * classic durable queue (the queue type of the `default` and `durable` profiles), SIGKILL, restart
 * on the same ports and mnesia directory, the queue's depth: the 100 persistent messages are kept,
 * the transient ones lost. (The profiles differ only in what the adapter declares; the server is
 * configured alike.) Stop with wipe leaves no process and no data.
 */
import amqp from "amqplib";
import { afterAll, describe, expect, it } from "vitest";
import { servicesRequired } from "../../../adapters/test/services.js";
import type { ServiceInstance } from "../definition.js";
import { serviceDefinition } from "../registry.js";
import { crashCycle, privateHome } from "../test/crash-cycle.js";
import { rabbitmqConfig, rabbitmqEnv, rabbitmqProfileSettings } from "./rabbitmq.js";

const { env, home, remove } = privateHome("bb-rabbitmq-service-");
const missing = serviceDefinition("rabbitmq").missing({ env, cacheDir: home });
const skip = missing !== null && !servicesRequired();
afterAll(remove, 60_000);

const QUEUES = { classic: { name: "bb-crash-classic", args: {} } } as const;

async function write(instance: ServiceInstance): Promise<void> {
  const conn = await amqp.connect(instance.settings.url!);
  try {
    const ch = await conn.createConfirmChannel();
    for (const q of Object.values(QUEUES)) {
      await ch.assertQueue(q.name, { durable: true, arguments: q.args });
      for (let i = 0; i < 100; i++) {
        ch.sendToQueue(q.name, Buffer.from(`p${i}`), { persistent: true });
        ch.sendToQueue(q.name, Buffer.from(`t${i}`), { persistent: false });
      }
    }
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The queues' depths. A quorum queue answers before its Raft member has replayed its log (depth 0
 * at first), so the depths are read until two readings a second apart agree, for at most 20 s.
 */
async function read(instance: ServiceInstance): Promise<Record<string, number>> {
  const conn = await amqp.connect(instance.settings.url!);
  try {
    const ch = await conn.createChannel();
    const depths = async () => {
      const depth: Record<string, number> = {};
      for (const [type, q] of Object.entries(QUEUES))
        depth[type] = (await ch.checkQueue(q.name)).messageCount;
      return depth;
    };
    let last = await depths();
    for (let i = 0; i < 20; i++) {
      await sleep(1000);
      const now = await depths();
      if (JSON.stringify(now) === JSON.stringify(last) && Object.values(now).every((n) => n > 0)) return now;
      last = now;
    }
    return last;
  } finally {
    await conn.close();
  }
}

describe("the private node's configuration", () => {
  it("names its own node, ports and directories; no management plugin; profiles pick the queue type", () => {
    const e = rabbitmqEnv({
      base: {},
      nodeName: "bb-x@localhost",
      port: 7003,
      distPort: 7004,
      dataDir: "/d",
      configDir: "/c",
      logDir: "/l",
    });
    expect(e).toMatchObject({
      RABBITMQ_NODENAME: "bb-x@localhost",
      RABBITMQ_NODE_PORT: "7003",
      RABBITMQ_DIST_PORT: "7004",
      RABBITMQ_MNESIA_BASE: "/d/mnesia",
      RABBITMQ_ENABLED_PLUGINS_FILE: "/c/enabled_plugins",
      RABBITMQ_CONF_ENV_FILE: "/c/rabbitmq-env.conf",
      HOME: "/c",
    });
    expect(rabbitmqConfig(7003)).toContain("listeners.tcp.1 = 127.0.0.1:7003\n");
    expect(rabbitmqProfileSettings("default")).toEqual({ queueType: "classic" });
    expect(rabbitmqProfileSettings("durable")).toEqual({ queueType: "classic" });
    expect(rabbitmqProfileSettings("quorum")).toEqual({ queueType: "quorum" });
  });
});

describe.skipIf(skip)(`a private RabbitMQ node${skip ? ` — SKIPPED: ${missing}` : ""}`, () => {
  it("SIGKILL: a classic durable queue keeps its confirmed persistent messages, not the transient ones", async () => {
    if (missing !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${missing}`);
    const r = await crashCycle({
      service: "rabbitmq",
      instance: "rabbit-crash",
      profile: "durable",
      env,
      write,
      read,
    });
    expect(r.read).toEqual({ classic: 100 });
    console.log(
      `rabbitmq: start ${Math.round(r.times.startMs)} ms, restart ${Math.round(r.times.restartMs)} ms`,
    );
  }, 300_000);
});
