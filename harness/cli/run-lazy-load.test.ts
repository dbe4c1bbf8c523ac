/**
 * `brokerbench run` loads the client library of the adapter it runs and nothing of the others, nor
 * the report renderer before a report is written: loaded at start (through the service registry
 * and the report renderer), they made a 0.5 s embedded run take 2.6 s instead of 1.6 s and held
 * ~28 MB more heap during the run. Each library below fails the test if importing the run command
 * loads it.
 */
import { describe, expect, it, vi } from "vitest";

const { loaded, refuse } = vi.hoisted(() => {
  const loaded: string[] = [];
  const refuse = (name: string) => () => {
    loaded.push(name);
    return {};
  };
  return { loaded, refuse };
});
vi.mock("vega", refuse("vega"));
vi.mock("vega-lite", refuse("vega-lite"));
vi.mock("@resvg/resvg-js", refuse("@resvg/resvg-js"));
vi.mock("nats", refuse("nats"));
vi.mock("mqtt", refuse("mqtt"));
vi.mock("amqplib", refuse("amqplib"));
vi.mock("ioredis", refuse("ioredis"));
vi.mock("rhea", refuse("rhea"));
vi.mock("rhea-promise", refuse("rhea-promise"));
vi.mock("@google-cloud/pubsub", refuse("@google-cloud/pubsub"));
vi.mock("@platformatic/kafka", refuse("@platformatic/kafka"));

describe("run start", () => {
  it("the run command loads no client library and no renderer until it needs one", async () => {
    const { runCommand } = await import("./commands/run.js");
    expect(runCommand).toBeDefined();
    expect(loaded).toEqual([]);
  });
});
