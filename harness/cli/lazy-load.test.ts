/**
 * `brokerbench --help` and `brokerbench list` stay fast by loading neither the adapters' client
 * libraries nor the schemas (zod) nor the YAML parser nor the report renderer (vega): each library below fails the test
 * if anything they import loads it. The timing itself is a benchmark (bench/cli-start.ts).
 */
import { describe, expect, it, vi } from "vitest";

// vi.mock calls are hoisted above the imports: what they share is hoisted with them.
const { loaded, refuse } = vi.hoisted(() => {
  const loaded: string[] = [];
  const refuse = (name: string) => () => {
    loaded.push(name);
    return {};
  };
  return { loaded, refuse };
});
vi.mock("zod", refuse("zod"));
// workloads/index.json describes the built-in workloads; a YAML parse is for a changed file only.
vi.mock("yaml", refuse("yaml"));
vi.mock("vega", refuse("vega"));
vi.mock("vega-lite", refuse("vega-lite"));
vi.mock("nats", refuse("nats"));
vi.mock("mqtt", refuse("mqtt"));
vi.mock("amqplib", refuse("amqplib"));
vi.mock("ioredis", refuse("ioredis"));
vi.mock("rhea", refuse("rhea"));
vi.mock("rhea-promise", refuse("rhea-promise"));
vi.mock("@google-cloud/pubsub", refuse("@google-cloud/pubsub"));
vi.mock("@platformatic/kafka", refuse("@platformatic/kafka"));

describe("CLI start", () => {
  it("--help and list load no client library, schema, YAML parser or renderer", async () => {
    const { buildCli } = await import("./cli.js");
    const help = await (await buildCli(["--help"])).getHelp();
    expect(help).toContain("list");
    const { listText } = await import("./commands/list.js");
    expect(await listText()).toContain("reference");
    expect(loaded).toEqual([]);
  });
});
