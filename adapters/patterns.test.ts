import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Capabilities, unsupportedReason } from "./contract.js";
import {
  amqpBindingKey,
  checkTopicName,
  fromMqttTopic,
  mqttFilter,
  mqttTopic,
  parsePattern,
  patternMatches,
  patternRegex,
  redisGlob,
} from "./patterns.js";

// Few distinct segments, so that random patterns often match random topics.
const literal = fc.constantFrom("a", "b", "ab", "x-1", "q?", "s[1]", "t^");
const topicArb = fc.array(literal, { minLength: 1, maxLength: 5 }).map((s) => s.join("."));
const patternArb = fc
  .tuple(fc.array(fc.oneof(literal, fc.constant("*")), { minLength: 0, maxLength: 4 }), fc.boolean())
  .filter(([s, tail]) => s.length > 0 || tail)
  .map(([s, tail]) => [...s, ...(tail ? [">"] : [])].join("."));

/** MQTT 5 §4.7 topic filter matching, levels split on `/`. */
function mqttMatch(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true; // zero or more levels, the parent included
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** AMQP topic exchange: `*` exactly one word, `#` zero or more words. */
function amqpMatch(key: readonly string[], words: readonly string[]): boolean {
  if (key.length === 0) return words.length === 0;
  const [k, ...rest] = key;
  if (k === "#") return words.some((_, i) => amqpMatch(rest, words.slice(i))) || amqpMatch(rest, []);
  if (words.length === 0) return false;
  return (k === "*" || k === words[0]) && amqpMatch(rest, words.slice(1));
}

/** Redis stringmatchlen, the parts the translation produces: `*`, `?`, `\x`, literals. */
function globMatch(glob: string, s: string): boolean {
  if (glob === "") return s === "";
  const c = glob[0]!;
  if (c === "*") return [...Array(s.length + 1).keys()].some((i) => globMatch(glob.slice(1), s.slice(i)));
  if (s === "") return false;
  if (c === "?") return globMatch(glob.slice(1), s.slice(1));
  if (c === "\\") return glob[1] === s[0] && globMatch(glob.slice(2), s.slice(1));
  if (c === "[") throw new Error(`unescaped [ in ${glob}`);
  return c === s[0] && globMatch(glob.slice(1), s.slice(1));
}

describe("neutral patterns", () => {
  it("the matcher agrees with the regex oracle for every pattern and topic", () => {
    fc.assert(
      fc.property(patternArb, topicArb, (p, t) => {
        expect(patternMatches(p, t)).toBe(patternRegex(p).test(t));
      }),
      { numRuns: 2000 },
    );
  });

  it("matches by segment: * one, > one or more trailing", () => {
    expect(patternMatches("a.*", "a.b")).toBe(true);
    expect(patternMatches("a.*", "a.b.c")).toBe(false);
    expect(patternMatches("a.*", "a")).toBe(false);
    expect(patternMatches("a.>", "a.b.c")).toBe(true);
    expect(patternMatches("a.>", "a")).toBe(false);
    expect(patternMatches("a.b", "a.b")).toBe(true);
    expect(patternMatches("a.b", "a.bc")).toBe(false);
  });

  it("refuses malformed patterns and topic names, naming them", () => {
    expect(() => parsePattern("a.>.b", "x")).toThrow(/x: pattern "a.>.b": > may only be the last/);
    expect(() => parsePattern("a..b")).toThrow(/not in the neutral syntax/);
    expect(() => parsePattern("a*.b")).toThrow(/not in the neutral syntax/);
    expect(() => parsePattern("")).toThrow(/not in the neutral syntax/);
    expect(() => checkTopicName("a.*")).toThrow(/topic "a.\*"/);
    expect(() => checkTopicName("a b")).toThrow(/topic/);
  });

  it("MQTT: filter and topic translations match exactly what the neutral pattern matches", () => {
    fc.assert(
      fc.property(patternArb, topicArb, (p, t) => {
        expect(mqttMatch(mqttFilter(p), mqttTopic(t))).toBe(patternRegex(p).test(t));
        expect(fromMqttTopic(mqttTopic(t))).toBe(t);
      }),
      { numRuns: 2000 },
    );
    expect(mqttFilter("a.*.>")).toBe("a/+/+/#");
    expect(() => mqttTopic("a/b")).toThrow(/cannot be an MQTT topic/);
    expect(() => mqttFilter("a.#")).toThrow(/cannot be an MQTT topic filter/);
  });

  it("AMQP: binding keys match exactly what the neutral pattern matches", () => {
    fc.assert(
      fc.property(patternArb, topicArb, (p, t) => {
        expect(amqpMatch(amqpBindingKey(p).split("."), t.split("."))).toBe(patternRegex(p).test(t));
      }),
      { numRuns: 2000 },
    );
    expect(amqpBindingKey("a.*.>")).toBe("a.*.*.#");
    expect(() => amqpBindingKey("a.#")).toThrow(/wildcard in AMQP/);
  });

  it("Redis: globs of *-free patterns match exactly what the neutral pattern matches; * is refused", () => {
    fc.assert(
      fc.property(
        patternArb.filter((p) => !p.split(".").includes("*")),
        topicArb,
        (p, t) => {
          expect(globMatch(redisGlob(p), t)).toBe(patternRegex(p).test(t));
        },
      ),
      { numRuns: 2000 },
    );
    expect(redisGlob("s[1].q?.>")).toBe("s\\[1\\].q\\?.?*");
    expect(() => redisGlob("a.*")).toThrow(/cannot express a one-segment \*/);
  });
});

describe("filters in unsupportedReason", () => {
  const caps: Capabilities = {
    model: "queue",
    push: true,
    pull: false,
    queue: true,
    pubsub: true,
    replay: false,
    partitions: false,
    deliveryModes: ["at-most-once"],
    ordering: "producer",
    idempotentProduce: false,
  };
  const need = {
    delivery: "push",
    mode: "at-most-once",
    groups: 1,
    consumersPerGroup: 1,
    partitions: 1,
    start: "latest",
  } as const;

  it("refuses pattern subscriptions where filtering is not declared, and only then", () => {
    expect(unsupportedReason(caps, { ...need, filters: 10 })).toBe(
      "pattern subscriptions (filters) are not supported",
    );
    expect(unsupportedReason(caps, { ...need, filters: 0 })).toBeNull();
    expect(unsupportedReason({ ...caps, filtering: true }, { ...need, filters: 10 })).toBeNull();
  });
});
