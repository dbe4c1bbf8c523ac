import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { kafkaTopicRegex, patternRegex } from "../patterns.js";
import { describePatternSubscriptions } from "../patterns.suite.js";
import { serviceGate } from "../test/services.js";
import { kafkaFactory } from "./index.js";

// Kafka topic names hold [A-Za-z0-9._-]; few distinct segments, so random patterns often match.
const literal = fc.constantFrom("a", "b", "ab", "x-1", "B_2", "a-b");
const topicArb = fc.array(literal, { minLength: 1, maxLength: 5 }).map((s) => s.join("."));
const patternArb = fc
  .tuple(fc.array(fc.oneof(literal, fc.constant("*")), { minLength: 0, maxLength: 4 }), fc.boolean())
  .filter(([s, tail]) => s.length > 0 || tail)
  .map(([s, tail]) => [...s, ...(tail ? [">"] : [])].join("."));

/** What the consumer does with the translation (Java's `Pattern.matcher(topic).matches()`: a whole-name match). */
const kafkaMatch = (regex: string, topic: string) => new RegExp(`^(?:${regex})$`).test(topic);

describe("kafka regex subscription translation", () => {
  it("matches exactly the topics the neutral pattern matches, for every pattern and topic", () => {
    fc.assert(
      fc.property(patternArb, topicArb, (p, t) => {
        expect(kafkaMatch(kafkaTopicRegex(p), t)).toBe(patternRegex(p).test(t));
      }),
      { numRuns: 5000 },
    );
  });

  it("keeps to the syntax Java's Pattern and RE2J share, and refuses what no Kafka topic can hold", () => {
    expect(kafkaTopicRegex("bb.run.*.x-1.>")).toBe("bb\\.run\\.[^.]+\\.x\\-1\\.[^.]+(?:\\.[^.]+)*");
    expect(() => kafkaTopicRegex("a.q?.>")).toThrow(
      /segment "q\?" has characters a Kafka topic name cannot hold/,
    );
    expect(() => kafkaTopicRegex("a.>.b")).toThrow(/> may only be the last segment/);
  });
});

const gate = await serviceGate("kafka", "127.0.0.1", 9092);

// A consumer's patterns resolve to one set of topics, each assigned once: a message matching two
// patterns arrives once. Resolved at subscribe, as the classic consumer does (lateTopics: false).
describePatternSubscriptions(
  "kafka",
  kafkaFactory,
  {},
  { service: gate, overlapDeliveries: 1, lateTopics: false },
);
