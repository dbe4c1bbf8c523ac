/**
 * The neutral pattern syntax of `ConsumerOptions.patterns` (NATS's): a topic name is dot-separated
 * non-empty segments; in a pattern, a segment `*` matches exactly one segment and a last segment
 * `>` matches one or more trailing segments. Every other segment is literal.
 *
 * Each filtering adapter translates a pattern into its broker's own filter and lets the broker do
 * the matching; the translations here are exact (a pattern a broker cannot express is refused,
 * never widened), and `patterns.test.ts` checks each against the regex oracle for every input.
 */
import { UsageError } from "../core/errors.js";

/** A segment that is not a wildcard: non-empty, no dot, no `*` or `>`, no whitespace. */
const LITERAL = /^[^.*>\s]+$/;

function segmentsOf(what: "topic" | "pattern", text: string, adapter: string): string[] {
  const segments = text.split(".");
  const bad = segments.findIndex((s) =>
    what === "topic" ? !LITERAL.test(s) : s !== "*" && s !== ">" && !LITERAL.test(s),
  );
  if (text === "" || bad >= 0) {
    throw new UsageError(
      `${adapter}: ${what} "${text}" is not in the neutral syntax (dot-separated non-empty segments without spaces` +
        (what === "pattern"
          ? "; a segment * or > is a wildcard, other segments contain neither)"
          : ", * or >)"),
    );
  }
  if (what === "pattern" && segments.indexOf(">") >= 0 && segments.indexOf(">") !== segments.length - 1) {
    throw new UsageError(`${adapter}: pattern "${text}": > may only be the last segment`);
  }
  return segments;
}

/** The segments of a valid pattern; a UsageError naming the adapter and the pattern otherwise. */
export function parsePattern(pattern: string, adapter = "patterns"): readonly string[] {
  return segmentsOf("pattern", pattern, adapter);
}

/** Throws a UsageError unless `topic` is a topic name of the neutral syntax (no wildcards). */
export function checkTopicName(topic: string, adapter = "patterns"): void {
  segmentsOf("topic", topic, adapter);
}

/** Does `pattern` match the topic name `topic`? (Both assumed valid.) */
export function patternMatches(pattern: string, topic: string): boolean {
  const p = pattern.split(".");
  const t = topic.split(".");
  for (let i = 0; i < p.length; i++) {
    const s = p[i];
    if (s === ">") return t.length > i;
    if (i >= t.length) return false;
    if (s !== "*" && s !== t[i]) return false;
  }
  return p.length === t.length;
}

/** A compiled set of patterns: does any match a topic? (the reference adapter's resolver). */
export function matchesAny(patterns: readonly string[], topic: string): boolean {
  return patterns.some((p) => patternMatches(p, topic));
}

const escapeRegex = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

/** The pattern as an anchored regular expression over topic names (the tests' oracle). */
export function patternRegex(pattern: string): RegExp {
  const parts = parsePattern(pattern).map((s) =>
    s === "*" ? "[^.]+" : s === ">" ? "[^.]+(?:\\.[^.]+)*" : escapeRegex(s),
  );
  return new RegExp(`^${parts.join("\\.")}$`);
}

/**
 * MQTT: a topic's segments are topic levels (`.` → `/`). A segment may not hold `/`, `+`
 * or `#`, and a topic may not start with `$` (wildcards never match those).
 */
export function mqttTopic(topic: string, adapter = "mqtt"): string {
  // Only what MQTT needs: a topic outside the neutral syntax (say, with spaces) is still publishable.
  if (topic === "" || /[/+#\u0000]/.test(topic) || topic.startsWith("$")) {
    throw new UsageError(
      `${adapter}: topic "${topic}" cannot be an MQTT topic (non-empty; segments without /, +, #; no leading $)`,
    );
  }
  return topic.replaceAll(".", "/");
}

/** The neutral topic name of an MQTT topic this adapter published (`/` → `.`). */
export function fromMqttTopic(topic: string): string {
  return topic.replaceAll("/", ".");
}

/** MQTT topic filter: `*` → `+`, a last `>` → `+/#` (`#` alone would also match the parent level). */
export function mqttFilter(pattern: string, adapter = "mqtt"): string {
  const segments = parsePattern(pattern, adapter);
  const bad = segments.find((s) => /[/+#\u0000]/.test(s));
  if (bad !== undefined || pattern.startsWith("$")) {
    throw new UsageError(
      `${adapter}: pattern "${pattern}" cannot be an MQTT topic filter (segments without /, +, #; no leading $)`,
    );
  }
  return segments.map((s) => (s === "*" ? "+" : s === ">" ? "+/#" : s)).join("/");
}

/**
 * AMQP topic exchange binding key: `*` stays one word, a last `>` → `*.#` (`#` is zero or more
 * words). A literal word `#` would be a wildcard there: refused.
 */
export function amqpBindingKey(pattern: string, adapter = "rabbitmq"): string {
  const segments = parsePattern(pattern, adapter);
  if (segments.includes("#")) {
    throw new UsageError(`${adapter}: pattern "${pattern}": a segment "#" is a wildcard in AMQP; rename it`);
  }
  return segments.map((s) => (s === ">" ? "*.#" : s)).join(".");
}

/** AMQP routing key of a topic: its name (at most 255 bytes). */
export function amqpRoutingKey(topic: string, adapter = "rabbitmq"): string {
  if (Buffer.byteLength(topic) > 255) {
    throw new UsageError(`${adapter}: topic "${topic}" is longer than AMQP's 255-byte routing key`);
  }
  return topic;
}

/**
 * Redis PSUBSCRIBE glob: literal characters escaped (`\`), a last `>` → `?*` (one or more
 * characters: one or more segments, as segments are non-empty). Glob has no "one segment" (its `*`
 * crosses dots), so a `*` segment is refused rather than widened.
 */
export function redisGlob(pattern: string, adapter = "redis-pubsub"): string {
  const segments = parsePattern(pattern, adapter);
  if (segments.includes("*")) {
    throw new UsageError(
      `${adapter}: pattern "${pattern}": Redis glob cannot express a one-segment * (its * also matches dots); use > or literal segments`,
    );
  }
  return segments.map((s) => (s === ">" ? "?*" : s.replace(/[\\*?[\]^-]/g, "\\$&"))).join(".");
}

/**
 * Kafka regex subscription (Java `Pattern`, matched against whole topic names; the same text is
 * valid RE2J for KIP-848's broker-side regex and JavaScript): `*` → `[^.]+`, a last `>` →
 * `[^.]+(\.[^.]+)*`, literal segments escaped. Kafka topic names hold only `[A-Za-z0-9._-]`: a
 * pattern with another character could never match and is refused.
 */
export function kafkaTopicRegex(pattern: string, adapter = "kafka"): string {
  const segments = parsePattern(pattern, adapter);
  const bad = segments.find((s) => s !== "*" && s !== ">" && !/^[A-Za-z0-9_-]+$/.test(s));
  if (bad !== undefined) {
    throw new UsageError(
      `${adapter}: pattern "${pattern}": segment "${bad}" has characters a Kafka topic name cannot hold (only A-Z a-z 0-9 _ -)`,
    );
  }
  return segments
    .map((s) => (s === "*" ? "[^.]+" : s === ">" ? "[^.]+(?:\\.[^.]+)*" : s.replace(/-/g, "\\-")))
    .join("\\.");
}
