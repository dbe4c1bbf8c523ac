/** The fault proxy on loopback, against a real echo server; every wait is bounded (~3 s in all). */
import { createServer, type Server, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultProxy } from "./proxy.js";

let echo: Server;
let echoPort = 0;

beforeAll(async () => {
  echo = createServer((s) => {
    s.on("error", () => {}); // reset by the proxy on purpose
    s.pipe(s);
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", () => resolve()));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

const connect = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const s = new Socket();
    s.once("error", reject);
    s.connect(port, "127.0.0.1", () => {
      s.on("error", () => {}); // observed by the test through roundTrip or its own listener
      resolve(s);
    });
  });

/** Sends `bytes` and resolves with the ms until all of them came back (or rejects on error/timeout). */
function roundTrip(s: Socket, bytes: number, timeoutMs = 3000): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let got = 0;
    const timer = setTimeout(() => reject(new Error(`timeout: ${got} of ${bytes} bytes back`)), timeoutMs);
    const onData = (d: Buffer) => {
      got += d.length;
      if (got >= bytes) {
        clearTimeout(timer);
        s.off("data", onData);
        resolve(performance.now() - t0);
      }
    };
    s.on("data", onData);
    s.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.write(Buffer.alloc(bytes, 7));
  });
}

describe("fault proxy", () => {
  it("relays both ways, and adds the latency it is given each way", async () => {
    const proxy = await FaultProxy.start({ host: "127.0.0.1", port: echoPort });
    const s = await connect(proxy.address.port);
    expect(await roundTrip(s, 100)).toBeLessThan(50);
    proxy.setLatency(100);
    const ms = await roundTrip(s, 100);
    expect(ms).toBeGreaterThanOrEqual(195);
    expect(ms).toBeLessThan(600);
    proxy.setLatency(0);
    expect(await roundTrip(s, 100)).toBeLessThan(50);
    s.destroy();
    await proxy.close();
  });

  it("paces each direction to the bandwidth limit", async () => {
    const proxy = await FaultProxy.start({ host: "127.0.0.1", port: echoPort });
    const s = await connect(proxy.address.port);
    proxy.setBandwidth(400_000);
    // 100 kB out and back: at least 0.25 s each way at 400 kB/s (pipelined: ~0.25–0.5 s).
    const ms = await roundTrip(s, 100_000);
    expect(ms).toBeGreaterThanOrEqual(240);
    expect(ms).toBeLessThan(1500);
    proxy.setBandwidth(null);
    expect(await roundTrip(s, 100_000)).toBeLessThan(150);
    s.destroy();
    await proxy.close();
  });

  it("blackholes: nothing passes, new connections wait, and all of it goes through after", async () => {
    const proxy = await FaultProxy.start({ host: "127.0.0.1", port: echoPort });
    const s = await connect(proxy.address.port);
    proxy.setBlackhole(true);
    await expect(roundTrip(s, 10, 300)).rejects.toThrow(/timeout: 0 of 10/);
    const late = await connect(proxy.address.port);
    const lateTrip = roundTrip(late, 10);
    setTimeout(() => proxy.setBlackhole(false), 200);
    // What was sent during the partition arrives after it heals (10 bytes held + 10 more now).
    expect(await roundTrip(s, 20)).toBeGreaterThanOrEqual(150);
    expect(await lateTrip).toBeGreaterThanOrEqual(150);
    s.destroy();
    late.destroy();
    await proxy.close();
  });

  it("resets every connection, refuses new ones while on, and accepts them again after", async () => {
    const proxy = await FaultProxy.start({ host: "127.0.0.1", port: echoPort });
    const s = await connect(proxy.address.port);
    await roundTrip(s, 10);
    const closed = new Promise<string>((resolve) =>
      s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "")),
    );
    proxy.setReset(true);
    expect(await closed).toBe("ECONNRESET");
    expect(proxy.connections).toBe(0);
    await expect(connect(proxy.address.port).then((d) => roundTrip(d, 10, 1000))).rejects.toThrow(
      /ECONNRESET|EPIPE/,
    );
    proxy.setReset(false);
    const after = await connect(proxy.address.port);
    expect(await roundTrip(after, 10)).toBeLessThan(100);
    after.destroy();
    await proxy.close();
  });
});
