/**
 * The native workload schema: one table of fields (zod), the single source for validation, the
 * defaults and the README's reference. A workload file holds these fields, optional `settings:`
 * (adapter settings) and an optional `matrix:` (see matrix.ts).
 */
import { z } from "zod";
import { PAYLOAD_HEADER_BYTES } from "../../core/payload.js";
import { parsePredicate, propertyNameProblem, propertyValueProblem } from "../../core/predicates.js";
import { DELIVERY_MODES, DELIVERY_STYLES, ORDER_SCOPES, START_POSITIONS } from "../../core/vocabulary.js";
import { faultSchema } from "../faults/kinds.js";
import { nemesisSchema } from "../faults/nemesis.js";

// The fault table (harness/faults/kinds.ts) describes every fault kind; the workload only lists faults.
export { FAULT_KINDS, type FaultKind, type FaultSpec, faultSchema } from "../faults/kinds.js";

export const KEY_DISTRIBUTIONS = ["none", "round-robin", "random"] as const;
export type KeyDistribution = (typeof KEY_DISTRIBUTIONS)[number];

const count = (min: number) => z.number().int().min(min);
const seconds = z.number().min(0);

/** `rate: find-max`'s search when the workload does not say (`findMax`). */
export const FIND_MAX_DEFAULTS = {
  p99Ms: 100,
  startRate: 1000,
  maxRate: 10_000_000,
  precision: 0.05,
} as const;

export const findMaxSchema = z.strictObject({
  p99Ms: z.number().positive().optional().describe("a rate holds only with end-to-end p99 at most this"),
  startRate: z.number().positive().optional().describe("the first rate tried (msg/s)"),
  maxRate: z.number().positive().optional().describe("never tried above this (msg/s)"),
  precision: z
    .number()
    .min(0.01)
    .max(0.5)
    .optional()
    .describe("stop when the highest rate that held and the lowest that did not are this close"),
});
export type FindMaxSpec = z.output<typeof findMaxSchema>;

export const lateGroupSchema = z.strictObject({
  joinAtS: seconds.describe("seconds after producing starts when the group's consumers are created"),
  start: z.enum(["earliest", "latest"]).describe("earliest: replay the log; latest: only what comes after"),
  consumers: count(1).default(1).describe("consumers in the late group"),
});
export type LateGroupSpec = z.output<typeof lateGroupSchema>;

export const reactorsSchema = z.strictObject({
  group: count(1).describe("the reacting group, 1-based (g1 …)"),
  fraction: z
    .number()
    .min(0)
    .max(1)
    .describe("share of the producers' messages each reacting consumer answers"),
});
export type ReactorsSpec = z.output<typeof reactorsSchema>;

export const predicatesSchema = z
  .strictObject({
    properties: z
      .record(z.string(), z.array(z.union([z.string(), z.number(), z.null()])).min(1))
      .describe(
        "per property, the values the producers attach, in turn by sequence number (every combination; null: absent)",
      ),
    subscribe: z
      .array(z.string())
      .min(1)
      .describe("the predicate each group subscribes with: group i takes subscribe[(i − 1) mod length]"),
  })
  .superRefine((v, ctx) => {
    const names = Object.keys(v.properties);
    if (names.length === 0) {
      ctx.addIssue({ code: "custom", path: ["properties"], message: "lists no property" });
    }
    for (const name of names) {
      const problem = propertyNameProblem(name);
      if (problem !== null) ctx.addIssue({ code: "custom", path: ["properties", name], message: problem });
      for (const [i, value] of (v.properties[name] ?? []).entries()) {
        const bad = value === null ? null : propertyValueProblem(value);
        if (bad !== null) ctx.addIssue({ code: "custom", path: ["properties", name, i], message: bad });
      }
    }
    for (const [i, text] of v.subscribe.entries()) {
      try {
        parsePredicate(text, `predicate ${i + 1}`);
      } catch (err) {
        ctx.addIssue({ code: "custom", path: ["subscribe", i], message: (err as Error).message });
      }
    }
  });
export type PredicatesSpec = z.output<typeof predicatesSchema>;

export const WORKLOAD_KINDS = ["messaging", "pipeline"] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Every workload field with its default; `.describe` texts feed `brokerbench list` and the README. */
export const workloadFields = {
  name: z.string().min(1).describe("run name (default: the file name)"),
  kind: z
    .enum(WORKLOAD_KINDS)
    .default("messaging")
    .describe(
      "messaging: producers and consumer groups; pipeline: producers → consumersPerGroup processors keeping per-key count/sum/avg in deliveryMode → a verifier (README: Streaming pipelines)",
    ),
  description: z.string().default("").describe("one line shown by `brokerbench list`"),
  topics: count(1).default(1).describe("number of topics"),
  partitions: count(1).default(1).describe("partitions per topic"),
  messageSize: count(PAYLOAD_HEADER_BYTES)
    .default(100)
    .describe(`bytes per message (at least the ${PAYLOAD_HEADER_BYTES}-byte payload header)`),
  keys: z.enum(KEY_DISTRIBUTIONS).default("none").describe("message keys: none, round-robin or random"),
  keyCount: count(1).default(100).describe("distinct keys when keys is round-robin or random"),
  producersPerTopic: count(1).default(1).describe("producers per topic"),
  rate: z
    .union([z.number().positive(), z.literal("max"), z.literal("find-max")])
    .default("max")
    .describe(
      "messages per second over all producers, max (as fast as acknowledged), or find-max (search for the highest sustainable rate: findMax)",
    ),
  findMax: findMaxSchema
    .nullable()
    .default(null)
    .describe(
      `rate: find-max: {p99Ms?, startRate?, maxRate?, precision?} (defaults ${FIND_MAX_DEFAULTS.p99Ms} ms, ${FIND_MAX_DEFAULTS.startRate}, ${FIND_MAX_DEFAULTS.maxRate}, ${FIND_MAX_DEFAULTS.precision}); a rate holds when it is sustained (published and consumed as offered, backlog bounded), the verdict is not invalid and e2e p99 ≤ p99Ms`,
    ),
  batchSize: count(1).default(100).describe("messages per send call (a batch shares one intended send time)"),
  groups: count(1).default(1).describe("consumer groups; each reads every topic (pub-sub when > 1)"),
  consumersPerGroup: count(1).default(1).describe("consumers per group, competing for its messages (queue)"),
  delivery: z
    .enum([...DELIVERY_STYLES, "auto"])
    .default("push")
    .describe("push (broker calls the consumer), pull, or auto: push where the adapter has it, else pull"),
  deliveryMode: z
    .enum(DELIVERY_MODES)
    .default("at-least-once")
    .describe("at-most-once (commit before processing), at-least-once or exactly-once (after)"),
  order: z
    .union([z.enum(ORDER_SCOPES), z.literal("auto")])
    .default("auto")
    .describe("order the checker expects; auto: what the adapter declares"),
  start: z
    .union([z.enum(START_POSITIONS), z.literal("auto")])
    .default("auto")
    .describe("where a new group starts; auto: earliest where the broker can replay, else latest"),
  durationS: seconds.default(5).describe("seconds of producing, warmup included (unless messages is set)"),
  messages: count(1)
    .nullable()
    .default(null)
    .describe("total messages to send instead of a duration (null: use durationS)"),
  warmupS: seconds.default(1).describe("seconds at the start left out of every figure"),
  drainTimeoutS: seconds.default(30).describe("longest wait for the groups to catch up after producing"),
  backlogBytes: count(1)
    .nullable()
    .default(null)
    .describe(
      "backlog mode: after warmup every consumer is held back until this many bytes are acknowledged and unread (summed over groups), then the drain is measured",
    ),
  backlogDrainRatio: z
    .number()
    .min(0)
    .max(1)
    .default(1)
    .describe("backlog mode: share of the backlog drained before the measured durationS − warmupS begins"),
  backlogTimeoutS: seconds
    .default(600)
    .describe("backlog mode: longest the backlog may take to build and then to drain"),
  prefetch: count(1).default(1000).describe("push: unacknowledged messages a consumer may hold"),
  pollMax: count(1).default(500).describe("pull: most messages one poll returns"),
  inFlight: count(1)
    .default(4)
    .describe("batches one producer may have outstanding (each in its own history process, a lane)"),
  server: z
    .enum(["none", "spawn"])
    .default("none")
    .describe(
      "spawn: start a private broker for this run (the reference broker as a child; other adapters: their service's instance on free ports), which broker-crash kills and restarts",
    ),
  serverFlush: z
    .enum(["always", "interval", "none"])
    .default("always")
    .describe(
      "server: spawn, reference broker, no serverProfile: its --flush policy (always: fsync before every acknowledgement)",
    ),
  serverCluster: z
    .enum(["none", "kafka-cluster", "jetstream-cluster"])
    .default("none")
    .describe(
      "server: spawn: start this 3-node cluster service for the run instead of the reference broker (faults may target node:<n>, node:random, leader-of:<topic>/<partition>)",
    ),
  serverHosts: z
    .enum(["loopback", "netns"])
    .default("loopback")
    .describe(
      "serverCluster: where its members run: loopback (all on 127.0.0.1) or netns (each in a network namespace with its own address, so `partition` faults can cut them apart; needs root and ip)",
    ),
  serverProfile: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, "a profile name such as default or durable")
    .nullable()
    .default(null)
    .describe(
      "server: spawn: the private broker's persistence profile (`brokerbench service list`: default = the broker's own, durable = what a careful operator sets); null: default (reference: serverFlush)",
    ),
  filters: count(0)
    .default(0)
    .describe(
      "pattern subscriptions per consumer, one matching the topics (0: plain topic subscriptions); with predicates: predicate subscriptions per topic, the groups' and N − 1 that match nothing",
    ),
  predicates: predicatesSchema
    .nullable()
    .default(null)
    .describe(
      "property filtering: {properties: {name: [values]}, subscribe: [predicate per group]} (README: Predicate filtering)",
    ),
  faults: z
    .array(faultSchema)
    .default([])
    .describe("faults to inject: [{at, duration, kind, target, ...}] (README: Fault injection)"),
  nemesis: nemesisSchema
    .nullable()
    .default(null)
    .describe(
      "a generated fault schedule {kind, every, jitter?, duration, count?, seed?, target?, from?} added to faults (README: Nemesis)",
    ),
  lateGroup: lateGroupSchema
    .nullable()
    .default(null)
    .describe("an extra group joining during the run: {joinAtS, start: earliest|latest, consumers?}"),
  reactors: reactorsSchema
    .nullable()
    .default(null)
    .describe("causal chains: consumers of one group answer {fraction} of messages with a dependent send"),
};

/** Adapter settings: strings (numbers and booleans are accepted and turned into strings). */
export const settingsSchema = z
  .record(
    z.string(),
    z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v)),
  )
  .default({});

export const workloadSchema = z.strictObject({ ...workloadFields, settings: settingsSchema });

export type Workload = z.output<typeof workloadSchema>;
export type WorkloadField = keyof typeof workloadFields;

export const WORKLOAD_FIELD_NAMES = Object.keys(workloadFields) as WorkloadField[];
