/**
 * A private redis-server, per profile: 200 acknowledged XADDs, SIGKILL, restart on the same port and
 * directory, XLEN. `durable` (appendfsync always) keeps all 200; `default` (RDB snapshots only,
 * none due within seconds) keeps none. Stop with wipe leaves no process and no data.
 */
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { servicesRequired } from "../../../adapters/test/services.js";
import type { ServiceInstance } from "../definition.js";
import { serviceDefinition } from "../registry.js";
import { crashCycle, privateHome } from "../test/crash-cycle.js";
import { redisArgs } from "./redis.js";

const { env, home, remove } = privateHome("bb-redis-service-");
const missing = serviceDefinition("redis").missing({ env, cacheDir: home });
const skip = missing !== null && !servicesRequired();
afterAll(remove);

const STREAM = "bb-service-crash";

async function withClient<T>(instance: ServiceInstance, fn: (c: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(instance.settings.url!, { maxRetriesPerRequest: 1 });
  try {
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

const write = (instance: ServiceInstance) =>
  withClient(instance, async (c) => {
    for (let i = 0; i < 200; i++) await c.xadd(STREAM, "*", "n", String(i));
    expect(await c.xlen(STREAM)).toBe(200);
  });
const read = (instance: ServiceInstance) => withClient(instance, (c) => c.xlen(STREAM));

describe("redis-server's command line", () => {
  it("binds loopback on its own port and directory; durable adds appendonly + appendfsync always", () => {
    const base = redisArgs(7001, "/d", "default");
    expect(base.join(" ")).toContain("--bind 127.0.0.1 --port 7001 --dir /d");
    expect(base.join(" ")).toContain("--appendonly no");
    expect(redisArgs(7001, "/d", "durable").join(" ")).toContain("--appendonly yes --appendfsync always");
  });
});

describe.skipIf(skip)(`a private redis-server${skip ? ` — SKIPPED: ${missing}` : ""}`, () => {
  it("durable: every acknowledged XADD survives SIGKILL and restart", async () => {
    if (missing !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${missing}`);
    const { read: kept } = await crashCycle({
      service: "redis",
      instance: "redis-durable",
      profile: "durable",
      env,
      write,
      read,
    });
    expect(kept).toBe(200);
  }, 60_000);

  it("default: no snapshot is due within seconds, so SIGKILL loses every entry", async () => {
    const { read: kept } = await crashCycle({
      service: "redis",
      instance: "redis-default",
      profile: "default",
      env,
      write,
      read,
    });
    expect(kept).toBe(0);
  }, 60_000);
});
