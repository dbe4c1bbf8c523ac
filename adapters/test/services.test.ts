import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { hostPort, serviceAvailable, serviceGate } from "./services.js";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("service probes", () => {
  it("sees a listening port and a closed one", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    expect(await serviceAvailable("127.0.0.1", port)).toBe(true);
    await new Promise<void>((r) => server.close(() => r()));
    expect(await serviceAvailable("127.0.0.1", await closedPort())).toBe(false);
  });

  it("skips a missing service, or fails it under BROKERBENCH_REQUIRE_SERVICES=1", async () => {
    const port = await closedPort();
    const relaxed = await serviceGate("x", "127.0.0.1", port, {});
    expect(relaxed).toMatchObject({ available: false, skip: true, fail: false });
    expect(relaxed.reason).toContain(`127.0.0.1:${port}`);
    const strict = await serviceGate("x", "127.0.0.1", port, { BROKERBENCH_REQUIRE_SERVICES: "1" });
    expect(strict).toMatchObject({ available: false, skip: false, fail: true });
  });

  it("names how to start a service brokerbench starts itself", async () => {
    const gate = await serviceGate("artemis", "127.0.0.1", await closedPort(), {});
    expect(gate.reason).toContain("npx brokerbench service start artemis");
  });

  it("skips a service this machine cannot run even under BROKERBENCH_REQUIRE_SERVICES=1, naming what it lacks", async () => {
    const port = await closedPort();
    const required = { BROKERBENCH_REQUIRE_SERVICES: "1" };
    const absent = await serviceGate("pubsub", "127.0.0.1", port, required, "no emulator jar");
    expect(absent).toMatchObject({ available: false, skip: true, fail: false });
    expect(absent.reason).toContain("no emulator jar");
    const installed = await serviceGate("pubsub", "127.0.0.1", port, required, null);
    expect(installed).toMatchObject({ available: false, skip: false, fail: true });
    expect(installed.reason).toContain("npx brokerbench service start pubsub");
  });

  it("reads host and port from URLs", () => {
    expect(hostPort("redis://127.0.0.1:6380", 6379)).toEqual({ host: "127.0.0.1", port: 6380 });
    expect(hostPort("amqp://guest:guest@localhost/", 5672)).toEqual({ host: "localhost", port: 5672 });
    expect(hostPort("nats://[::1]:4222", 4222)).toEqual({ host: "::1", port: 4222 });
  });
});
