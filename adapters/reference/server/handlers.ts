/**
 * The server's side of each request type: decode is done, call the Broker, shape the answer.
 * One entry per request type; a BrokerError thrown here becomes the response's error code
 * (connection.ts). Subscriptions belong to the connection that made them and end with it.
 */
import {
  type Broker,
  brokerError,
  forEachRecord,
  isBrokerError,
  type PartitionFetch,
  type PartitionRecords,
  type ProduceResult,
  type QueueSubscription,
  type Subscription,
  visitRecords,
} from "../broker/index.js";
import { NO_ERROR } from "../protocol/api.js";
import { APIS, supportedVersions } from "../protocol/apis.js";
import { DEFAULT_MAX_FRAME_BYTES } from "../protocol/frame.js";
import { writePush, writeRecordsPush, writeSetsPush } from "../protocol/push.js";
import type { ProduceBatchResult } from "../protocol/requests/04-produce.js";
import type { FetchPartitionOut, RecordSource } from "../protocol/requests/05-fetch.js";
import type { WireSubscriptionStats } from "../protocol/requests/18-unsubscribe.js";
import type { RecordInput, StoredBatch } from "../storage/partition-log.js";
import { EncodedRecords } from "../storage/record-section.js";
import { type ConnectionContext, defineHandler, type Handler } from "./connection.js";

export const BROKER_VERSION = "reference 0.1.0";

/** Longest a fetch may be held, whatever the client asks. */
const MAX_WAIT_MS = 60_000;

/** Push subscriptions of one connection, by the client's subscription id. */
interface ConnectionSubscriptions {
  readonly plain: Map<number, Subscription>;
  /** Queue subscriptions: deliveries stop when closed (in-flight messages then time out and are redelivered). */
  readonly queue: Map<number, QueueSubscription>;
}

const perConnection = new WeakMap<ConnectionContext, ConnectionSubscriptions>();

function subscriptionsOf(ctx: ConnectionContext): ConnectionSubscriptions {
  let s = perConnection.get(ctx);
  if (s === undefined) {
    const subs: ConnectionSubscriptions = { plain: new Map(), queue: new Map() };
    s = subs;
    perConnection.set(ctx, subs);
    ctx.onClose(() => {
      for (const sub of subs.plain.values()) sub.close();
      subs.plain.clear();
      for (const q of subs.queue.values()) q.close();
      subs.queue.clear();
    });
  }
  return s;
}

/** Members joined over each connection, by group. */
const joinedOver = new WeakMap<ConnectionContext, Set<string>>();

/**
 * A member leaves its group when the connection it joined on closes (a crashed or disconnected
 * client, a restarted broker's clients reconnecting), instead of holding its partitions until its
 * session times out: its partitions go to the live members at once. Kafka keeps such members for
 * the session timeout (its clients may reconnect and go on); here a member is its connection, as a
 * subscription is in NATS, AMQP or MQTT. A client that comes back joins as a new member.
 */
function leaveOnClose(broker: Broker, ctx: ConnectionContext, group: string, memberId: string): void {
  let joined = joinedOver.get(ctx);
  if (joined === undefined) {
    const members = new Set<string>();
    joined = members;
    joinedOver.set(ctx, members);
    ctx.onClose(() => {
      for (const key of members) {
        const [g, m] = JSON.parse(key) as [string, string];
        try {
          broker.leaveGroup({ group: g, memberId: m });
        } catch {
          // a closed broker has no groups left to leave
        }
      }
      members.clear();
    });
  }
  joined.add(JSON.stringify([group, memberId]));
}

/** A stored batch that can hand out a run of its records in their encoded form (the file log's). */
interface SectionBatch extends StoredBatch {
  section(from: number, to: number): { baseOffset: number; count: number; bytes: Uint8Array } | null;
}

/**
 * An answer's records for the wire: record by record (v0), or per batch the run of records it
 * contributes, copied in the log's encoding where storage keeps it (v1).
 */
function recordSource(p: PartitionRecords, recordCount: number): RecordSource {
  return {
    recordCount,
    forEachRecord: (each) => forEachRecord(p, (rec) => each(rec)),
    forEachSet: (each) => {
      for (const b of p.batches) {
        if (b.header.control !== null) continue;
        const lo = Math.max(p.fromOffset, b.baseOffset);
        const hi = Math.min(p.nextOffset, b.baseOffset + (b.recordCount ?? b.records.length));
        if (lo >= hi) continue;
        const section = (b as Partial<SectionBatch>).section?.(lo, hi);
        if (section) {
          each(section.baseOffset, section.count, section.bytes);
          continue;
        }
        // Storage without encoded batches (memory logs): encode the run.
        const run: RecordInput[] = [];
        visitRecords({ ...p, batches: [b] }, (_o, key, payload) => run.push({ key, payload }), lo);
        const encoded = EncodedRecords.encode(run.slice(0, hi - lo));
        each(lo, encoded.count, encoded.bytes);
      }
    },
  };
}

/** Bytes an answer's records take, about: to size the frame once. */
function recordBytes(p: PartitionRecords, recordCount: number): number {
  let n = 64;
  for (const b of p.batches) n += (b as { bytes?: Uint8Array }).bytes?.length ?? 0;
  return n > 64 ? n : recordCount * 128;
}

function toWirePartition(p: PartitionFetch): FetchPartitionOut {
  return {
    topic: p.topic,
    partition: p.partition,
    errorCode: p.error?.code ?? 0,
    highWatermark: p.highWatermark,
    lastStableOffset: p.lastStableOffset,
    logStartOffset: p.logStartOffset,
    nextOffset: p.nextOffset,
    redeliveredBelow: p.redeliveredBelow ?? 0,
    records: recordSource(p, p.count),
  };
}

function statsOf(sub: Subscription): WireSubscriptionStats {
  const s = sub.stats();
  return {
    deliveredMessages: s.deliveredMessages,
    droppedMessages: s.droppedMessages,
    bufferedMessages: s.bufferedMessages,
  };
}

function checkSubscriptionId(subs: ConnectionSubscriptions, id: number): void {
  if (subs.plain.has(id) || subs.queue.has(id)) {
    throw brokerError("INVALID_REQUEST", `subscription id ${id} is already in use on this connection`);
  }
}

/**
 * A produce entry's answer once its batch is appended (and flushed, when the acks ask for it). The
 * per-batch answers are literals, not spreads of NO_ERROR: api.ts NO_ERROR says why.
 */
function produced(r: ProduceResult): ProduceBatchResult {
  return { errorCode: 0, errorMessage: null, baseOffset: r.baseOffset, duplicate: r.duplicate };
}

/** A produce entry refused by the broker; anything else is a bug and drops the connection. */
function refused(err: unknown): ProduceBatchResult {
  if (!isBrokerError(err)) throw err;
  return { errorCode: err.code, errorMessage: err.message, baseOffset: -1, duplicate: false };
}

export interface ServerLimits {
  readonly maxPartitionsPerTopic: number;
  /** The connections' frame cap, announced in ApiVersions v1. */
  readonly maxFrameBytes: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxPartitionsPerTopic: 1000,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
};

export function brokerHandlers(broker: Broker, limits: ServerLimits = DEFAULT_LIMITS): Map<number, Handler> {
  const handlers: Handler[] = [
    defineHandler({
      api: APIS.apiVersions,
      handle: () => ({
        ...NO_ERROR,
        apis: supportedVersions(),
        brokerVersion: BROKER_VERSION,
        maxFrameBytes: limits.maxFrameBytes,
      }),
    }),
    defineHandler({
      api: APIS.metadata,
      handle: () => ({ ...NO_ERROR, topics: broker.listTopics() }),
    }),
    defineHandler({
      api: APIS.createTopic,
      handle: async (req) => {
        // Each partition is a directory and open files: a forged count must not stall the server.
        if (req.partitions > limits.maxPartitionsPerTopic) {
          throw brokerError(
            "INVALID_PARTITIONS",
            `topic "${req.name}": ${req.partitions} partitions exceeds this server's limit of ${limits.maxPartitionsPerTopic}`,
          );
        }
        await broker.createTopic(req.name, req.partitions);
        return NO_ERROR;
      },
    }),
    defineHandler({
      api: APIS.deleteTopic,
      handle: async (req) => {
        await broker.deleteTopic(req.name);
        return NO_ERROR;
      },
    }),
    defineHandler({
      api: APIS.produce,
      handle: (req) => {
        // Appends happen synchronously, in request order; only the acknowledgements wait. When
        // none has to wait (no fsync before the answer), the answer is written at once, in the
        // turn that read the request and before the pushes its appends schedule: the producer can
        // send its next batch while its consumers are still reading this one.
        const results = req.batches.map((b) => {
          try {
            const r = broker.produce({
              topic: b.topic,
              partition: b.partition,
              records: b.records,
              acks: req.acks,
              producerId: req.producerId,
              producerEpoch: req.producerEpoch,
              baseSequence: b.baseSequence,
              transactional: req.transactional,
            });
            return r instanceof Promise ? r.then(produced, refused) : produced(r);
          } catch (err) {
            return refused(err);
          }
        });
        if (!results.some((r) => r instanceof Promise)) {
          return { errorCode: 0, errorMessage: null, results: results as ProduceBatchResult[] };
        }
        return Promise.all(results).then((settled) => ({
          errorCode: 0,
          errorMessage: null,
          results: settled,
        }));
      },
    }),
    defineHandler({
      api: APIS.fetch,
      handle: async (req) => {
        const r = await broker.fetch({
          partitions: req.positions,
          maxRecords: Math.max(1, req.maxRecords),
          maxBytes: Math.max(1, req.maxBytes),
          waitMs: Math.min(Math.max(0, req.waitMs), MAX_WAIT_MS),
          isolation: req.isolation,
          ...(req.group !== null ? { group: req.group } : {}),
        });
        return { errorCode: 0, errorMessage: null, partitions: r.partitions.map(toWirePartition) };
      },
    }),
    defineHandler({
      api: APIS.listOffsets,
      handle: (req) => ({ ...NO_ERROR, offset: broker.listOffset(req.topic, req.partition, req.which) }),
    }),
    defineHandler({
      api: APIS.initProducerId,
      handle: async (req) => ({
        ...NO_ERROR,
        ...(await broker.initProducerId({
          transactionalId: req.transactionalId,
          ...(req.transactionTimeoutMs > 0 ? { transactionTimeoutMs: req.transactionTimeoutMs } : {}),
        })),
      }),
    }),
    defineHandler({
      api: APIS.endTxn,
      handle: async (req) => {
        await broker.endTransaction(req);
        return NO_ERROR;
      },
    }),
    defineHandler({
      api: APIS.txnOffsetCommit,
      handle: async (req) => {
        await broker.commitTxnOffsets({
          producerId: req.producerId,
          producerEpoch: req.producerEpoch,
          commit: {
            group: req.group,
            memberId: req.memberId,
            generation: req.generation,
            offsets: req.offsets,
          },
        });
        return NO_ERROR;
      },
    }),
    defineHandler({
      api: APIS.joinGroup,
      handle: (req, ctx) => {
        const state = broker.joinGroup(req);
        leaveOnClose(broker, ctx, req.group, state.memberId);
        return { ...NO_ERROR, ...state };
      },
    }),
    defineHandler({
      api: APIS.heartbeat,
      handle: (req) => ({ ...NO_ERROR, ...broker.heartbeat(req) }),
    }),
    defineHandler({
      api: APIS.leaveGroup,
      handle: (req) => {
        broker.leaveGroup(req);
        return NO_ERROR;
      },
    }),
    defineHandler({
      api: APIS.offsetCommit,
      handle: async (req) => {
        await broker.commitOffsets(req);
        return NO_ERROR;
      },
    }),
    defineHandler({
      api: APIS.offsetFetch,
      handle: (req) => ({
        ...NO_ERROR,
        offsets: broker
          .committedOffsets(req.group, req.partitions)
          .map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset ?? -1 })),
      }),
    }),
    defineHandler({
      api: APIS.subscribe,
      handle: (req, ctx) => {
        const subs = subscriptionsOf(ctx);
        checkSubscriptionId(subs, req.subscriptionId);
        const id = req.subscriptionId;
        const sets = req.pushes === "sets";
        const sub = broker.subscribe(
          {
            partitions: req.positions,
            flow: req.flow,
            isolation: req.isolation,
            ...(req.group !== null ? { group: req.group } : {}),
          },
          {
            deliver: (r, count) =>
              sets
                ? ctx.push(
                    id,
                    (w) =>
                      writeSetsPush(
                        w,
                        r.topic,
                        r.partition,
                        r.fromOffset,
                        r.nextOffset,
                        r.redeliveredBelow ?? 0,
                        recordSource(r, count),
                      ),
                    recordBytes(r, count),
                  )
                : ctx.push(
                    id,
                    (w) =>
                      writeRecordsPush(
                        w,
                        r.topic,
                        r.partition,
                        r.nextOffset,
                        r.redeliveredBelow ?? 0,
                        count,
                        (write) => forEachRecord(r, (rec) => write(rec)),
                      ),
                    count * 128,
                  ),
            closed: (error) => {
              if (subs.plain.get(id) === sub) subs.plain.delete(id);
              if (error !== null && !ctx.closed) {
                void ctx.push(id, (w) =>
                  writePush(w, { kind: "ended", errorCode: error.code, errorMessage: error.message }),
                );
              }
            },
          },
        );
        subs.plain.set(id, sub);
        return NO_ERROR;
      },
    }),
    defineHandler({
      api: APIS.credit,
      handle: (req, ctx) => {
        const sub = subscriptionsOf(ctx).plain.get(req.subscriptionId);
        if (sub === undefined)
          throw brokerError("SUBSCRIPTION_CLOSED", `no subscription ${req.subscriptionId}`);
        if (req.credit < 0) throw brokerError("INVALID_REQUEST", `credit ${req.credit} is negative`);
        sub.grant(req.credit);
        return NO_ERROR;
      },
    }),
    defineHandler({
      api: APIS.reassign,
      handle: (req, ctx) => {
        const sub = subscriptionsOf(ctx).plain.get(req.subscriptionId);
        if (sub === undefined)
          throw brokerError("SUBSCRIPTION_CLOSED", `no subscription ${req.subscriptionId}`);
        broker.reassign(sub, req.positions);
        return NO_ERROR;
      },
    }),
    defineHandler({
      api: APIS.unsubscribe,
      handle: (req, ctx) => {
        const subs = subscriptionsOf(ctx);
        const q = subs.queue.get(req.subscriptionId);
        if (q !== undefined) {
          q.close();
          subs.queue.delete(req.subscriptionId);
          return { ...NO_ERROR, deliveredMessages: 0, droppedMessages: 0, bufferedMessages: 0 };
        }
        const sub = subs.plain.get(req.subscriptionId);
        if (sub === undefined)
          throw brokerError("SUBSCRIPTION_CLOSED", `no subscription ${req.subscriptionId}`);
        subs.plain.delete(req.subscriptionId);
        const stats = statsOf(sub);
        sub.close();
        return { ...NO_ERROR, ...stats };
      },
    }),
    defineHandler({
      api: APIS.subscriptionStats,
      handle: (req, ctx) => {
        const sub = subscriptionsOf(ctx).plain.get(req.subscriptionId);
        if (sub === undefined)
          throw brokerError("SUBSCRIPTION_CLOSED", `no subscription ${req.subscriptionId}`);
        return { ...NO_ERROR, ...statsOf(sub) };
      },
    }),
    defineHandler({
      api: APIS.queueSubscribe,
      handle: (req, ctx) => {
        const subs = subscriptionsOf(ctx);
        checkSubscriptionId(subs, req.subscriptionId);
        const id = req.subscriptionId;
        const q = broker.queueSubscribe(
          { group: req.group, memberId: req.memberId, generation: req.generation },
          {
            ackTimeoutMs: req.ackTimeoutMs,
            maxDeliveries: req.maxDeliveries,
            deadLetterTopic: req.deadLetterTopic,
            prefetch: req.prefetch,
            isolation: req.isolation,
          },
          {
            deliver: (messages) =>
              ctx.push(
                id,
                (w) =>
                  writePush(w, {
                    kind: "queue",
                    messages: messages.map((m) => ({
                      topic: m.topic,
                      partition: m.partition,
                      offset: m.offset,
                      key: m.key,
                      payload: m.payload,
                      deliveryCount: m.deliveryCount,
                    })),
                  }),
                messages.length * 128,
              ),
          },
        );
        subs.queue.set(id, q);
        return NO_ERROR;
      },
    }),
    defineHandler({
      api: APIS.queueSettle,
      handle: async (req) => {
        await broker.queueSettle(req);
        return NO_ERROR;
      },
    }),
    defineHandler({
      api: APIS.queueGrant,
      handle: (req) => {
        broker.queueGrant(req.group, req.memberId, req.n);
        return NO_ERROR;
      },
    }),
  ];
  return new Map(handlers.map((h) => [h.api.key, h]));
}
