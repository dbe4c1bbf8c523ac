import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../core/errors.js";
import { loadWorkloadFile, parseWorkloadText } from "./load.js";
import { expandMatrix } from "./matrix.js";
import { builtinWorkloads, resolveWorkloadArg } from "./resolve.js";
import { WORKLOAD_FIELD_NAMES } from "./schema.js";

const parse = (text: string, overrides = {}) => parseWorkloadText(text, "w.yaml", overrides);
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("expected an error");
};

describe("workload files", () => {
  it("fills defaults and names the run after the file", () => {
    const [run, ...rest] = parse("rate: 1000\n");
    expect(rest).toHaveLength(0);
    expect(run?.id).toBe("w");
    expect(run?.workload).toMatchObject({
      name: "w",
      rate: 1000,
      topics: 1,
      batchSize: 100,
      delivery: "push",
    });
  });

  it("names the file and the unknown field, with a suggestion", () => {
    const msg = errorOf(() => parse("partitons: 3\n"));
    expect(msg).toMatch(/^w\.yaml: unknown field "partitons" \(did you mean "partitions"\?\)/);
    expect(msg).not.toContain("\n");
  });

  it("names the file and the field of a wrong type", () => {
    expect(errorOf(() => parse("batchSize: lots\n"))).toMatch(/^w\.yaml: field "batchSize": expected number/);
    expect(errorOf(() => parse("rate: fast\n"))).toMatch(/^w\.yaml: field "rate"/);
    expect(errorOf(() => parse("delivery: carrier-pigeon\n"))).toMatch(/field "delivery".*push.*pull.*auto/);
    expect(errorOf(() => parse("messageSize: 10\n"))).toMatch(/field "messageSize".*28/);
  });

  it("refuses a warmup that leaves nothing to measure", () => {
    expect(errorOf(() => parse("durationS: 1\nwarmupS: 1\n"))).toMatch(
      /^w\.yaml: field "warmupS": 1 s leaves nothing/,
    );
    expect(errorOf(() => parse("warmupS: 9\n", { durationS: 2 }))).toMatch(/field "warmupS"/);
    expect(parse("messages: 10\nwarmupS: 9\n")).toHaveLength(1);
  });

  it("refuses non-mappings and broken YAML in one line", () => {
    expect(errorOf(() => parse("- a\n- b\n"))).toMatch(/^w\.yaml: a workload file must be a mapping/);
    expect(errorOf(() => parse("a: [\n"))).toMatch(/^w\.yaml:2:1: not valid YAML: [^:]+: ""$/);
  });

  it("reports a missing file by name", async () => {
    await expect(loadWorkloadFile("/nonexistent/x.yaml")).rejects.toThrow(
      /^\/nonexistent\/x\.yaml: no such workload file$/,
    );
  });

  it("applies command-line overrides, a duration replacing a message count", () => {
    const [run] = parse("messages: 5000\n", { durationS: 2 });
    expect(run?.workload.messages).toBeNull();
    expect(run?.workload.durationS).toBe(2);
    const [run2] = parse("durationS: 9\n", { messages: 10 });
    expect(run2?.workload.messages).toBe(10);
  });

  it("turns settings into strings", () => {
    const [run] = parse("settings: { url: 'nats://x:4222', retries: 3, tls: false }\n");
    expect(run?.workload.settings).toEqual({ url: "nats://x:4222", retries: "3", tls: "false" });
  });

  it("reads a fault schedule and names the file and field of a bad fault", () => {
    const [run] = parse(
      [
        "durationS: 4",
        "consumersPerGroup: 2",
        "faults:",
        "  - { at: 1, duration: 0.5, kind: consumer-crash, target: group:g1/consumer:1 }",
        "  - { at: 2, duration: 1, kind: consumer-stall, target: consumer:0, slowRate: 100 }",
        "  - { at: 0.5, duration: 1, kind: network-latency, target: broker, latencyMs: 20 }",
      ].join("\n"),
    );
    expect(run?.workload.faults).toEqual([
      { at: 1, duration: 0.5, kind: "consumer-crash", target: "group:g1/consumer:1" },
      { at: 2, duration: 1, kind: "consumer-stall", target: "consumer:0", slowRate: 100 },
      { at: 0.5, duration: 1, kind: "network-latency", target: "broker", latencyMs: 20 },
    ]);
    const bad = (fault: string, extra = "") =>
      errorOf(() => parse(`durationS: 4\n${extra}faults:\n  - ${fault}\n`));
    expect(bad("{ at: 1, duration: 1, kind: disk-full, target: broker }")).toMatch(
      /^w\.yaml: field "faults\.0\.kind": .*consumer-crash/,
    );
    expect(bad("{ at: 1, duration: 1, kind: consumer-crash, target: broker }")).toMatch(
      /^w\.yaml: field "faults\.0\.target": "broker" is not a target of consumer-crash; use consumer:0/,
    );
    expect(bad("{ at: 1, duration: 1, kind: network-latency, target: broker }")).toMatch(
      /field "faults\.0\.latencyMs": network-latency needs latencyMs/,
    );
    expect(bad("{ at: 1, duration: 1, kind: broker-crash, target: broker, slowRate: 5 }")).toMatch(
      /field "faults\.0\.slowRate": slowRate only applies to consumer-stall/,
    );
    expect(bad("{ at: 1, duration: 1, kind: consumer-crash, target: consumer:1 }")).toMatch(
      /field "faults\.0\.target": consumer:1 does not exist \(consumersPerGroup 1/,
    );
    expect(
      bad("{ at: 1, duration: 1, kind: consumer-crash, target: group:g3/consumer:0 }", "groups: 2\n"),
    ).toMatch(/field "faults\.0\.target": no group "g3" \(groups: g1, g2\)/);
    expect(bad("{ at: 1, duration: 1, kind: producer-ack-loss, target: producer:2 }")).toMatch(
      /producer:2 does not exist \(1 producer/,
    );
    expect(bad("{ at: 1, duration: 1, kind: broker-crash, target: broker }")).toMatch(
      /field "faults\.0\.kind": broker-crash needs `server: spawn`/,
    );
    expect(bad("{ at: 3, duration: 2, kind: network-reset, target: broker }")).toMatch(
      /field "faults\.0\.duration": the fault ends at 5 s, after producing ends \(durationS 4\)/,
    );
    expect(bad("{ at: 1, duration: 1, kind: broker-crash, target: broker, when: now }")).toMatch(
      /unknown field "faults\.0\.when"/,
    );
  });

  it("expands a nemesis into faults, the same for the same seed, and records a random seed", () => {
    const text = (extra: string) =>
      `durationS: 20\nserver: spawn\nnemesis: { kind: broker-crash, every: 1, jitter: 0.3, duration: 0.2${extra} }\n`;
    const [a] = parse(text(", seed: 42"));
    const [b] = parse(text(", seed: 42"));
    const [c] = parse(text(", seed: 43"));
    const faults = a!.workload.faults;
    // From 1 s on, one a second while a fault still ends before producing does (20 s).
    expect(faults.length).toBeGreaterThanOrEqual(18);
    expect(
      faults.every((f) => f.kind === "broker-crash" && f.target === "broker" && f.duration === 0.2),
    ).toBe(true);
    expect(faults.every((f, k) => Math.abs(f.at - (1 + k)) <= 0.3 && f.at + f.duration <= 20)).toBe(true);
    expect(b!.workload.faults).toEqual(faults);
    expect(c!.workload.faults).not.toEqual(faults);
    expect(a!.workload.nemesis?.seed).toBe(42);
    const [d] = parse(text(""));
    const seed = d!.workload.nemesis?.seed;
    expect(Number.isInteger(seed)).toBe(true);
    const [e] = parse(text(`, seed: ${seed}`));
    expect(e!.workload.faults).toEqual(d!.workload.faults);
    // Written faults come first; the generated ones follow.
    const [w] = parse(
      `${text(", count: 3, seed: 1")}faults:\n  - { at: 5, duration: 1, kind: producer-ack-loss, target: producer:0 }\n`,
    );
    expect(w!.workload.faults.map((f) => f.kind)).toEqual([
      "producer-ack-loss",
      "broker-crash",
      "broker-crash",
      "broker-crash",
    ]);
  });

  it("names the nemesis field that cannot be honoured", () => {
    const nemesis = (fields: string, extra = "server: spawn\n") =>
      errorOf(() => parse(`durationS: 10\n${extra}nemesis: { ${fields} }\n`));
    expect(nemesis("kind: broker-crash, every: 1, duration: 0.5, count: 20, seed: 1")).toMatch(
      /^w\.yaml: field "nemesis\.count": 20 faults every 1 s from 1 s: fault 10 would end at 10\.5 s, after producing ends \(durationS 10\)/,
    );
    expect(nemesis("kind: consumer-crash, every: 1, duration: 0.5")).toMatch(
      /field "nemesis\.target": consumer-crash needs a target \(consumer:0 or group:g1\/consumer:1\)/,
    );
    expect(nemesis("kind: consumer-crash, target: consumer:3, every: 1, duration: 0.5")).toMatch(
      /field "nemesis\.target": consumer:3 does not exist/,
    );
    expect(nemesis("kind: broker-crash, every: 1, duration: 0.5", "")).toMatch(
      /field "nemesis\.kind": broker-crash needs `server: spawn`/,
    );
    expect(nemesis("kind: network-latency, every: 1, duration: 0.5")).toMatch(
      /field "nemesis\.latencyMs": network-latency needs latencyMs/,
    );
    expect(nemesis("kind: broker-crash, every: 1, duration: 0.5, often: true")).toMatch(
      /unknown field "nemesis\.often"/,
    );
  });

  it("a matrix variant adds adapter settings to the workload's, key by key", () => {
    const runs = parse(
      [
        "settings: { url: 127.0.0.1:9092, acks: leader }",
        "matrix:",
        "  delivery: [push, pull]",
        "  push:",
        "    credit: {}",
        "    buffer: { settings: { reference.push: buffer, acks: flushed } }",
      ].join("\n"),
    );
    expect(runs.map((r) => [r.id, r.workload.settings])).toEqual([
      ["w-delivery=push-push=credit", { url: "127.0.0.1:9092", acks: "leader" }],
      ["w-delivery=push-push=buffer", { url: "127.0.0.1:9092", acks: "flushed", "reference.push": "buffer" }],
      ["w-delivery=pull-push=credit", { url: "127.0.0.1:9092", acks: "leader" }],
      ["w-delivery=pull-push=buffer", { url: "127.0.0.1:9092", acks: "flushed", "reference.push": "buffer" }],
    ]);
    expect(errorOf(() => parse("matrix:\n  settings: [{ a: 1 }]\n"))).toMatch(
      /field "matrix\.settings": settings vary by named variants/,
    );
    expect(errorOf(() => parse("matrix:\n  x:\n    a: { settings: 3 }\n"))).toMatch(
      /field "matrix\.x\.a\.settings": settings must be a mapping/,
    );
  });

  it("expands a matrix over fault schedules", () => {
    const runs = parse(
      [
        "durationS: 4",
        "matrix:",
        "  fault:",
        "    none: { faults: [] }",
        "    crash: { faults: [{ at: 1, duration: 1, kind: consumer-crash, target: consumer:0 }] }",
      ].join("\n"),
    );
    expect(runs.map((r) => [r.id, r.workload.faults.length])).toEqual([
      ["w-fault=none", 0],
      ["w-fault=crash", 1],
    ]);
  });
});

describe("matrix", () => {
  it("expands field lists and named variants into their cross product", () => {
    const runs = parse(
      [
        "matrix:",
        "  delivery: [push, pull]",
        "  subscription:",
        "    queue: { groups: 1, consumersPerGroup: 2 }",
        "    pubsub: { groups: 2, consumersPerGroup: 1 }",
      ].join("\n"),
    );
    expect(runs.map((r) => r.id)).toEqual([
      "w-delivery=push-subscription=queue",
      "w-delivery=push-subscription=pubsub",
      "w-delivery=pull-subscription=queue",
      "w-delivery=pull-subscription=pubsub",
    ]);
    expect(runs[1]?.workload).toMatchObject({ delivery: "push", groups: 2, consumersPerGroup: 1 });
    expect(runs[2]?.matrix).toEqual({ delivery: "pull", subscription: "queue" });
  });

  it("validates every point and says which one failed", () => {
    expect(errorOf(() => parse("matrix:\n  batchSize: [10, zero]\n"))).toMatch(
      /field "batchSize".*\(matrix point -batchSize=zero\)/,
    );
    expect(errorOf(() => parse("matrix:\n  colour: [red]\n"))).toMatch(
      /field "matrix\.colour": "colour" is not a workload field/,
    );
  });

  it("has as many points as the product of its axis sizes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }), (sizes) => {
        const matrix = Object.fromEntries(
          sizes.map((n, i) => [`f${i}`, Array.from({ length: n }, (_, j) => j)]),
        );
        const points = expandMatrix(matrix, () => true);
        expect(points).toHaveLength(sizes.reduce((a, b) => a * b, 1));
        expect(new Set(points.map((p) => JSON.stringify(p.label))).size).toBe(points.length);
      }),
    );
  });
});

describe("OpenMessaging Benchmark files", () => {
  const omb = [
    "name: 1 topic / 16 partitions / 1kb",
    "topics: 1",
    "partitionsPerTopic: 16",
    "messageSize: 1024",
    "payloadFile: payload/payload-1Kb.data",
    "subscriptionsPerTopic: 1",
    "consumerPerSubscription: 4",
    "producersPerTopic: 2",
    "producerRate: 50000",
    "consumerBacklogSizeGB: 0",
    "testDurationMinutes: 15",
    "warmupDurationMinutes: 1",
    "keyDistributor: KEY_ROUND_ROBIN",
  ].join("\n");

  it("maps onto the native fields", () => {
    const [run] = parse(omb);
    expect(run?.format).toBe("omb");
    expect(run?.workload).toMatchObject({
      topics: 1,
      partitions: 16,
      messageSize: 1024,
      groups: 1,
      consumersPerGroup: 4,
      producersPerTopic: 2,
      rate: 50000,
      durationS: 16 * 60,
      warmupS: 60,
      keys: "round-robin",
    });
    expect(run?.id).toBe("1_topic___16_partitions___1kb");
  });

  it("takes producerRate 0 as max and refuses what it cannot honour", () => {
    expect(parse(omb.replace("producerRate: 50000", "producerRate: 0"))[0]?.workload.rate).toBe("max");
    expect(errorOf(() => parse(`${omb}\nproducerRat: 5`))).toMatch(/unknown field "producerRat"/);
    expect(errorOf(() => parse(`${omb}\nbacklogDrainRatio: 2`))).toMatch(
      /OpenMessaging Benchmark workload: field "backlogDrainRatio": .*1/,
    );
  });

  it("backlog mode: consumerBacklogSizeGB and backlogDrainRatio, scaled for a small machine", () => {
    const backlog = omb.replace(
      "consumerBacklogSizeGB: 0",
      "consumerBacklogSizeGB: 10\nbacklogDrainRatio: 0.9",
    );
    expect(parse(backlog)[0]?.workload).toMatchObject({ backlogBytes: 10 * 2 ** 30, backlogDrainRatio: 0.9 });
    const scaled = parseWorkloadText(backlog, "w.yaml", {}, { backlogScale: 0.001 })[0]?.workload;
    expect(scaled?.backlogBytes).toBe(Math.round(10 * 2 ** 30 * 0.001));
    expect(parse(omb)[0]?.workload.backlogBytes).toBeNull();
    expect(errorOf(() => parse("backlogBytes: 1000\nmessages: 100\n"))).toMatch(
      /field "backlogBytes": backlog mode runs for a duration/,
    );
  });

  describe("real OMB files (openmessaging/benchmark workloads/, Apache 2.0)", () => {
    const fixture = (name: string) => new URL(`./fixtures/omb/${name}`, import.meta.url).pathname;
    const simple = fixture("1-topic-1-partition-1kb.yaml");

    it("load as they are", async () => {
      const [run] = await loadWorkloadFile(simple);
      expect(run?.format).toBe("omb");
      // testDurationMinutes 15 after OMB's default warmup of 1 minute.
      expect(run?.workload).toMatchObject({
        rate: 50000,
        messageSize: 1024,
        durationS: 16 * 60,
        warmupS: 60,
      });
      const [backlog] = await loadWorkloadFile(fixture("backlog-1-topic-1-partition-1kb.yaml"));
      expect(backlog?.workload).toMatchObject({ backlogBytes: 100 * 2 ** 30, backlogDrainRatio: 1 });
    });

    it("--duration and --warmup override their times; a message names the user's own fields", async () => {
      const message = async (overrides: Record<string, unknown>) => {
        try {
          await loadWorkloadFile(simple, overrides);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          return (err as Error).message;
        }
        throw new Error("expected an error");
      };
      const short = await message({ durationS: 10 });
      expect(short).toMatch(
        /OMB's default warmup of 1 min \(the file sets no warmupDurationMinutes\) leaves nothing of --duration 10 \(warmup included\) to measure; shorten the warmup with --warmup S$/,
      );
      expect(short).not.toMatch(/warmupS|durationS/);
      expect(await message({ durationS: 1, warmupS: 2 })).toMatch(
        /--warmup 2 leaves nothing of --duration 1/,
      );
      const [run] = await loadWorkloadFile(simple, { durationS: 10, warmupS: 2 });
      expect(run?.workload).toMatchObject({ durationS: 10, warmupS: 2, messages: null });
      // --warmup alone keeps the file's test minutes after the new warmup.
      const [kept] = await loadWorkloadFile(simple, { warmupS: 2 });
      expect(kept?.workload).toMatchObject({ durationS: 15 * 60 + 2, warmupS: 2 });
      const text = (await import("node:fs")).readFileSync(simple, "utf8");
      expect(errorOf(() => parse(text.replace("topics: 1\n", "topics: 0\n")))).toMatch(
        /OpenMessaging Benchmark workload/,
      );
      expect(errorOf(() => parse(text.replace("messageSize: 1024", "messageSize: 10")))).toMatch(
        /field "messageSize": /,
      );
      expect(errorOf(() => parse(text, { rate: -5 }))).toMatch(/^w\.yaml: --rate: /);
    });
  });
});

describe("README", () => {
  it("documents every workload field", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const field of [...WORKLOAD_FIELD_NAMES, "settings", "matrix"])
      expect(readme).toMatch(new RegExp(`\\| \`${field}\`\\s+\\|`));
  });
});

describe("workload names", () => {
  it("finds built-in workloads by name and says what exists otherwise", () => {
    expect(builtinWorkloads()).toContain("default");
    expect(resolveWorkloadArg("default")).toMatch(/workloads[/\\]default\.yaml$/);
    expect(() => resolveWorkloadArg("nope")).toThrow(/unknown workload "nope".*built-in: .*default/);
  });

  it("every built-in workload file is valid", async () => {
    for (const name of builtinWorkloads()) {
      const runs = await loadWorkloadFile(resolveWorkloadArg(name));
      expect(runs.length).toBeGreaterThan(0);
    }
  });

  it("takes a path as a path", () => {
    const dir = mkdtempSync(join(tmpdir(), "bb-"));
    const file = join(dir, "mine.yaml");
    writeFileSync(file, "rate: 10\n");
    expect(resolveWorkloadArg(file)).toBe(file);
  });
});

describe("lateGroup and reactors", () => {
  it("parse with their defaults", () => {
    const [run] = parse(
      "durationS: 4\nlateGroup: { joinAtS: 2, start: latest }\nreactors: { group: 1, fraction: 0.5 }",
    );
    expect(run?.workload.lateGroup).toEqual({ joinAtS: 2, start: "latest", consumers: 1 });
    expect(run?.workload.reactors).toEqual({ group: 1, fraction: 0.5 });
    expect(parse("name: x")[0]?.workload.lateGroup).toBeNull();
  });

  it("name the field when wrong", () => {
    expect(() => parse("lateGroup: { joinAtS: 1, start: committed }")).toThrow(/lateGroup\.start/);
    expect(() => parse("durationS: 3\nlateGroup: { joinAtS: 3, start: earliest }")).toThrow(
      /field "lateGroup.joinAtS": 3 s is not before producing ends/,
    );
    expect(() => parse("groups: 2\nreactors: { group: 3, fraction: 0.1 }")).toThrow(
      /field "reactors.group": group 3 does not exist/,
    );
    expect(() => parse("reactors: { group: 1, fraction: 2 }")).toThrow(/reactors\.fraction/);
  });
});

describe("pipeline workloads", () => {
  it("parse with kind: pipeline", () => {
    const [run] = parse("kind: pipeline\nkeys: random\nmessageSize: 64\nconsumersPerGroup: 2");
    expect(run?.workload.kind).toBe("pipeline");
    expect(parse("name: x")[0]?.workload.kind).toBe("messaging");
  });

  it("refuse, naming the field, what a pipeline cannot use or lacks", () => {
    expect(() => parse("kind: pipeline\nmessageSize: 64")).toThrow(
      /field "keys": a pipeline aggregates per key/,
    );
    expect(() => parse("kind: pipeline\nkeys: random\nmessageSize: 40")).toThrow(
      /field "messageSize": .* at least 60 bytes/,
    );
    expect(() => parse("kind: pipeline\nkeys: random\nmessageSize: 64\ngroups: 2")).toThrow(/field "groups"/);
    expect(() => parse("kind: pipeline\nkeys: random\nmessageSize: 64\nfilters: 1")).toThrow(
      /field "filters": not used by a pipeline workload/,
    );
    expect(() => parse("kind: stream")).toThrow(/kind/);
  });
});
