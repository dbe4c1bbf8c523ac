/**
 * A private mosquitto, per profile: a persistent session (MQTT 5, session expiry 300 s) subscribes
 * at QoS 1 and goes offline; 50 QoS 1 publishes are PUBACKed and queued for it; SIGKILL; restart on
 * the same port and directory; the subscriber comes back with the same client id. `durable`
 * (persistence, autosave after every change) returns the session and all 50; `default` (no
 * persistence) has no session and nothing queued. Stop with wipe leaves no process and no data.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect, connectAsync, type IClientOptions } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { servicesRequired } from "../../../adapters/test/services.js";
import type { ServiceInstance } from "../definition.js";
import { serviceDefinition } from "../registry.js";
import { crashCycle, privateHome } from "../test/crash-cycle.js";
import { mosquittoConfig } from "./mosquitto.js";

const { env, home, remove } = privateHome("bb-mosquitto-service-");
const missing = serviceDefinition("mosquitto").missing({ env, cacheDir: home });
const skip = missing !== null && !servicesRequired();
afterAll(remove);

const TOPIC = "bb/service/crash";
const SUBSCRIBER: IClientOptions = {
  clientId: "bb-service-crash-sub",
  clean: false,
  protocolVersion: 5,
  properties: { sessionExpiryInterval: 300 },
  reconnectPeriod: 0,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function write(instance: ServiceInstance): Promise<void> {
  const sub = await connectAsync(instance.settings.url!, SUBSCRIBER);
  await sub.subscribeAsync(TOPIC, { qos: 1 });
  await sub.endAsync();
  const pub = await connectAsync(instance.settings.url!, { protocolVersion: 5, reconnectPeriod: 0 });
  for (let i = 0; i < 50; i++) await pub.publishAsync(TOPIC, String(i), { qos: 1 });
  await pub.endAsync();
  // The autosave runs in mosquitto's loop after the change, not before the PUBACK.
  await sleep(500);
}

/** Whether the broker still knew the session, and the messages it delivered to it. */
async function read(instance: ServiceInstance): Promise<{ sessionPresent: boolean; received: number }> {
  let received = 0;
  const sub = connect(instance.settings.url!, { ...SUBSCRIBER, manualConnect: true });
  sub.on("message", () => {
    received++;
  });
  const connack = new Promise<boolean>((resolve) => sub.once("connect", (p) => resolve(p.sessionPresent)));
  sub.connect();
  const sessionPresent = await connack;
  await sleep(1500);
  await sub.endAsync();
  return { sessionPresent, received };
}

describe("mosquitto's generated config", () => {
  it("listens on loopback only; durable persists after every change", () => {
    const plain = mosquittoConfig(7002, "/d", "default");
    expect(plain).toContain("listener 7002 127.0.0.1\n");
    expect(plain).toContain("persistence false\n");
    const durable = mosquittoConfig(7002, "/d", "durable");
    expect(durable).toMatch(
      /persistence true\npersistence_location \/d\/\n[\s\S]*autosave_on_changes true\nautosave_interval 1\n/,
    );
  });
});

describe.skipIf(skip)(`a private mosquitto${skip ? ` — SKIPPED: ${missing}` : ""}`, () => {
  it("durable: the offline session and its 50 queued QoS 1 messages survive SIGKILL", async () => {
    if (missing !== null) throw new Error(`BROKERBENCH_REQUIRE_SERVICES=1 and ${missing}`);
    const r = await crashCycle({
      service: "mosquitto",
      instance: "mqtt-durable",
      profile: "durable",
      env,
      write,
      read,
    });
    expect(r.read).toEqual({ sessionPresent: true, received: 50 });
  }, 60_000);

  it("default: no persistence, so the session and its queue are gone", async () => {
    const r = await crashCycle({
      service: "mosquitto",
      instance: "mqtt-default",
      profile: "default",
      env,
      write,
      read,
    });
    expect(r.read).toEqual({ sessionPresent: false, received: 0 });
    // The log says why: mosquitto started from the generated file, no persistence configured.
    expect(readFileSync(join(home, "services", "mqtt-default", "logs", "node-1.log"), "utf8")).toMatch(
      /mosquitto version/,
    );
  }, 60_000);
});
