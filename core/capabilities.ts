/**
 * What a system under test can really do, as an adapter declares it (adapters/contract.ts) and as
 * results.json records it. One zod schema, the type inferred from it.
 */
import { z } from "zod";
import { DELIVERY_MODES, ORDER_SCOPES } from "./vocabulary.js";

export const capabilitiesSchema = z
  .object({
    /** History model: `log` (offsets, replay, committed positions) or `queue` (per-message acks). */
    model: z.enum(["log", "queue"]),
    push: z.boolean(),
    pull: z.boolean(),
    /** Competing consumers: the consumers of one group share its messages, each message to one of them. */
    queue: z.boolean(),
    /** Several groups each receive every message of a topic. */
    pubsub: z.boolean(),
    /** A consumer can start from the earliest retained message / an explicit position. */
    replay: z.boolean(),
    /** Topics can have more than one partition (otherwise every topic is one ordered stream, partition 0). */
    partitions: z.boolean(),
    /** Delivery modes the broker can actually provide. */
    deliveryModes: z.array(z.enum(DELIVERY_MODES)).readonly(),
    /**
     * The delivery modes of one delivery style, where narrower than `deliveryModes` (Pub/Sub: a push
     * subscription has no exactly-once delivery). Absent for a style: `deliveryModes`. Read it
     * through `deliveryModesOf`.
     */
    deliveryModesByStyle: z
      .object({
        push: z.array(z.enum(DELIVERY_MODES)).readonly().optional(),
        pull: z.array(z.enum(DELIVERY_MODES)).readonly().optional(),
      })
      .readonly()
      .optional(),
    /** The strongest order the broker guarantees to one consumer. */
    ordering: z.enum(ORDER_SCOPES),
    /** The broker deduplicates retried publishes (idempotent producer / message-id dedup). */
    idempotentProduce: z.boolean(),
    /**
     * Pattern subscriptions (`ConsumerOptions.patterns`, syntax in adapters/patterns.ts). Absent:
     * false. Whether a message matching several of one consumer's patterns arrives once or once per
     * pattern is the broker's own behaviour, stated in each adapter's README.
     */
    filtering: z.boolean().optional(),
    /**
     * Property filters: messages carry `OutgoingMessage.properties`, a consumer's group subscribes
     * with `ConsumerOptions.predicate` (syntax and semantics in core/predicates.ts, translated
     * exactly into the broker's own filter, never widened) and `createSubscription` makes a group's
     * subscription without a consumer. Absent: false.
     */
    predicates: z.boolean().optional(),
    /**
     * How long a killed consumer's unacknowledged messages can take to be delivered again, where
     * that is more than a moment (Pub/Sub: the lease a dead subscriber held runs out with its ack
     * deadline, at least 10 s on a StreamingPull stream). The runner's drain waits at least this
     * long with nothing arriving before it concludes that the rest is not coming. Absent: 0.
     */
    redeliveryDelayMs: z.number().nonnegative().optional(),
    /**
     * The largest message payload (bytes) the broker accepts under the adapter's settings, where it
     * has a limit (NATS max_payload, a frame cap, ...). The runner refuses a workload whose
     * messageSize exceeds it before connecting. Absent: no known limit.
     */
    maxMessageBytes: z.number().int().positive().optional(),
    /**
     * Transactions across topics and a group's offsets (`Adapter.createTransactionalProducer`):
     * read-process-write exactly once. Absent: false.
     */
    transactions: z.boolean().optional(),
  })
  .readonly();

/** What a system under test can really do. Everything `false` is refused by the runner. */
export type Capabilities = z.output<typeof capabilitiesSchema>;
