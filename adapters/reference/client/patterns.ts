/**
 * Pattern subscriptions on the reference broker, resolved as Kafka's classic consumer resolves a
 * regex subscription: against the topics that exist when the consumer subscribes (the broker's
 * topic list: `listTopics`, Metadata over TCP). The group then holds the partitions of every matching
 * topic, so the broker's per-message work does not depend on the number of patterns.
 * Not done: topics created after the subscription are not picked up (Kafka re-checks its
 * metadata every `metadata.max.age.ms`).
 */
import { UsageError } from "../../../core/errors.js";
import type { ConsumerOptions } from "../../contract.js";
import { matchesAny, parsePattern } from "../../patterns.js";

/** `options` with `topics` replaced by the existing topics its patterns match (unchanged without patterns). */
export function resolvePatterns(options: ConsumerOptions, topicNames: readonly string[]): ConsumerOptions {
  const { patterns, ...rest } = options;
  if (patterns === undefined) return options;
  for (const p of patterns) parsePattern(p, "reference");
  const topics = topicNames.filter((t) => matchesAny(patterns, t)).sort();
  if (topics.length === 0) {
    throw new UsageError(
      `reference: no existing topic matches ${patterns.length === 1 ? `pattern ${patterns[0]}` : `any of ${patterns.length} patterns`} (patterns are resolved when the consumer subscribes: create the topics first)`,
    );
  }
  return { ...rest, topics };
}
