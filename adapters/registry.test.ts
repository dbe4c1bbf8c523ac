/**
 * The registry describes every adapter without loading a client library (the CLI's `--help` and
 * `list` stay fast): each library below fails the import if anything loads it. A new adapter whose
 * registry line imports its client at module load fails here; add its library to the list.
 */
import { describe, expect, it, vi } from "vitest";

const CLIENT_LIBRARIES = [
  "nats",
  "mqtt",
  "amqplib",
  "ioredis",
  "@platformatic/kafka",
  "rhea",
  "rhea-promise",
  "@google-cloud/pubsub",
] as const;

const loaded: string[] = [];
vi.mock("nats", () => {
  loaded.push("nats");
  return {};
});
vi.mock("mqtt", () => {
  loaded.push("mqtt");
  return {};
});
vi.mock("amqplib", () => {
  loaded.push("amqplib");
  return {};
});
vi.mock("ioredis", () => {
  loaded.push("ioredis");
  return {};
});
vi.mock("@platformatic/kafka", () => {
  loaded.push("@platformatic/kafka");
  return {};
});
vi.mock("rhea", () => {
  loaded.push("rhea");
  return {};
});
vi.mock("rhea-promise", () => {
  loaded.push("rhea-promise");
  return {};
});
vi.mock("@google-cloud/pubsub", () => {
  loaded.push("@google-cloud/pubsub");
  return {};
});

describe("adapter registry", () => {
  it("names, describes and lists every adapter's settings without loading a client library", async () => {
    const { ADAPTERS } = await import("./registry.js");
    expect(ADAPTERS.length).toBeGreaterThanOrEqual(7);
    expect(new Set(ADAPTERS.map((a) => a.name)).size).toBe(ADAPTERS.length);
    for (const a of ADAPTERS) {
      expect(a.description).not.toBe("");
      expect(Object.keys(a.settings).length).toBeGreaterThan(0);
      expect(a.capabilities.deliveryModes.length).toBeGreaterThan(0);
    }
    expect(loaded, `client libraries loaded by the registry (of ${CLIENT_LIBRARIES.join(", ")})`).toEqual([]);
  });

  it("loads an adapter's client when it connects (the mock stands in for it here)", async () => {
    const { findAdapter } = await import("./registry.js");
    await findAdapter("nats")
      .connect({ url: "nats://127.0.0.1:1", connectTimeoutMs: "200" })
      .catch(() => undefined);
    expect(loaded).toContain("nats");
  });
});
