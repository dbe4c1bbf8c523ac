import { describe, expect, it } from "vitest";
import { brokerAddress } from "./infrastructure.js";

describe("brokerAddress (where the fault proxy goes)", () => {
  it("finds host:port in the url forms the adapters use and rewrites only that part", () => {
    const proxy = { host: "127.0.0.1", port: 40001 };
    const cases: [string, string, number, string][] = [
      ["127.0.0.1:9092", "127.0.0.1", 9092, "127.0.0.1:40001"],
      ["nats://127.0.0.1:4222", "127.0.0.1", 4222, "nats://127.0.0.1:40001"],
      [
        "amqp://guest:guest@localhost:5672/vhost",
        "localhost",
        5672,
        "amqp://guest:guest@127.0.0.1:40001/vhost",
      ],
      ["redis://[::1]:6379/0", "::1", 6379, "redis://127.0.0.1:40001/0"],
      ["mqtt://broker.local:1883", "broker.local", 1883, "mqtt://127.0.0.1:40001"],
    ];
    for (const [url, host, port, rewritten] of cases) {
      const a = brokerAddress(url);
      expect(a?.target, url).toEqual({ host, port });
      expect(a?.rewrite(proxy)).toBe(rewritten);
    }
  });

  it("is null where the url names no port (or there is no url: an embedded broker)", () => {
    expect(brokerAddress("")).toBeNull();
    expect(brokerAddress("nats://localhost")).toBeNull();
  });
});
