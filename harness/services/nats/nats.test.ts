/**
 * A private nats-server with JetStream, per profile: a stream (the storage the profile's adapter
 * settings name), 200 acknowledged publishes, SIGKILL, restart on the same port and store
 * directory, the stream's message count. File storage (`default`, `durable`) keeps all 200;
 * `memory` loses the stream. Stop with wipe leaves no process and no store.
 */
import { connect, StorageType } from "nats";
import { afterAll, describe, expect, it } from "vitest";
import { servicesRequired } from "../../../adapters/test/services.js";
import type { ServiceInstance } from "../definition.js";
import { serviceDefinition } from "../registry.js";
import { crashCycle, privateHome } from "../test/crash-cycle.js";
import { natsProfileSettings } from "./nats.js";

const { env, home, remove } = privateHome("bb-nats-service-");
const missing = serviceDefinition("nats").missing({ env, cacheDir: home });
const skip = missing !== null && !servicesRequired();
afterAll(remove);

const STREAM = "BB_SERVICE_CRASH";

async function write(instance: ServiceInstance): Promise<void> {
  const nc = await connect({ servers: instance.settings.url! });
  try {
    const storage = instance.settings.storage === "memory" ? StorageType.Memory : StorageType.File;
    await (await nc.jetstreamManager()).streams.add({ name: STREAM, subjects: ["bb.crash"], storage });
    const js = nc.jetstream();
    for (let i = 0; i < 200; i++) await js.publish("bb.crash", new TextEncoder().encode(String(i)));
  } finally {
    await nc.close();
  }
}

/** Messages in the stream after the restart; -1 when the stream itself is gone. */
async function read(instance: ServiceInstance): Promise<number> {
  const nc = await connect({ servers: instance.settings.url! });
  try {
    const jsm = await nc.jetstreamManager();
    try {
      return (await jsm.streams.info(STREAM)).state.messages;
    } catch (err) {
      if (/stream not found/i.test((err as Error).message)) return -1;
      throw err;
    }
  } finally {
    await nc.close();
  }
}

describe("nats profiles", () => {
  it("set the jetstream adapter's storage: durable file, memory memory, default the adapter's (file)", () => {
    expect(natsProfileSettings("default")).toEqual({});
    expect(natsProfileSettings("durable")).toEqual({ storage: "file" });
    expect(natsProfileSettings("memory")).toEqual({ storage: "memory" });
  });
});

describe.skipIf(skip)(`a private nats-server${skip ? ` — SKIPPED: ${missing}` : ""}`, () => {
  it("durable (file storage): every acknowledged publish survives SIGKILL and restart", async () => {
    if (missing !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${missing}`);
    const r = await crashCycle({
      service: "nats",
      instance: "nats-durable",
      profile: "durable",
      env,
      write,
      read,
    });
    expect(r.read).toBe(200);
  }, 60_000);

  it("default: file storage too, so the same 200 are kept", async () => {
    const r = await crashCycle({
      service: "nats",
      instance: "nats-default",
      profile: "default",
      env,
      write,
      read,
    });
    expect(r.read).toBe(200);
  }, 60_000);

  it("memory: the stream is gone after the restart", async () => {
    const r = await crashCycle({
      service: "nats",
      instance: "nats-memory",
      profile: "memory",
      env,
      write,
      read,
    });
    expect(r.read).toBe(-1);
  }, 60_000);
});
