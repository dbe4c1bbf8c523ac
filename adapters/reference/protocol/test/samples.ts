/**
 * Example requests and responses of every request type, for round-trip tests and the server fuzz.
 * `rand` varies the content; every value here is valid for its codec.
 */

import type { ApiSpec } from "../api.js";
import { APIS } from "../apis.js";
import { toRecordSets } from "../common.js";

export type Rand = () => number;

const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (rand: Rand, max: number) => Math.floor(rand() * max);
const text = (rand: Rand) => pick(rand, ["t", "fz", "orders", "ünïcode", "", "a-b.c_d"]);
const bytes = (rand: Rand) => Buffer.from(Array.from({ length: int(rand, 40) }, () => int(rand, 256)));
const pos = (rand: Rand) => ({ topic: text(rand), partition: int(rand, 4), offset: int(rand, 1000) });
const positions = (rand: Rand) => Array.from({ length: int(rand, 4) }, () => pos(rand));
const err = (rand: Rand) =>
  rand() < 0.5 ? { errorCode: 0, errorMessage: null } : { errorCode: 3, errorMessage: "no" };
const member = (rand: Rand) => ({
  memberId: `m-${int(rand, 9)}`,
  generation: int(rand, 9),
  assignment: [
    { topic: text(rand), partition: int(rand, 4) },
    { topic: text(rand), partition: 4 + int(rand, 4) },
  ],
  ownedSince: [int(rand, 9), int(rand, 9)],
});
const stats = (rand: Rand) => ({
  ...err(rand),
  deliveredMessages: int(rand, 1e9),
  droppedMessages: int(rand, 1e6),
  bufferedMessages: int(rand, 100),
});

/** Records at offsets o, o + 1 and o + 5 (two record sets), or none. */
const fetchedSets = (rand: Rand) => {
  if (rand() < 0.2) return [];
  const o = int(rand, 1e6);
  return toRecordSets(
    [o, o + 1, o + 5].map((offset) => ({
      offset,
      key: rand() < 0.5 ? null : text(rand),
      payload: bytes(rand),
    })),
  );
};

export interface Sample {
  readonly api: ApiSpec<unknown, unknown>;
  readonly request: unknown;
  readonly response: unknown;
}

type Maker = (rand: Rand) => { request: unknown; response: unknown };

export const SAMPLE_MAKERS: Readonly<Record<keyof typeof APIS, Maker>> = {
  apiVersions: (r) => ({
    request: {},
    response: {
      ...err(r),
      apis: [{ key: 1, minVersion: 0, maxVersion: int(r, 3) }],
      brokerVersion: "x",
      maxFrameBytes: 1 + int(r, 1 << 24),
    },
  }),
  metadata: (r) => ({
    request: {},
    response: { ...err(r), topics: [{ name: text(r), partitions: int(r, 9) }] },
  }),
  createTopic: (r) => ({ request: { name: text(r), partitions: int(r, 9) }, response: err(r) }),
  deleteTopic: (r) => ({ request: { name: text(r) }, response: err(r) }),
  produce: (r) => ({
    request: {
      acks: pick(r, ["none", "leader", "flushed"] as const),
      producerId: r() < 0.5 ? -1 : int(r, 100),
      producerEpoch: int(r, 3),
      transactional: r() < 0.2,
      batches: Array.from({ length: 1 + int(r, 3) }, () => ({
        topic: text(r),
        partition: int(r, 3),
        baseSequence: r() < 0.5 ? -1 : int(r, 100),
        records: Array.from({ length: 1 + int(r, 5) }, () => ({
          key: r() < 0.5 ? null : text(r),
          payload: bytes(r),
        })),
      })),
    },
    response: {
      ...err(r),
      results: [{ ...err(r), baseOffset: int(r, 1e6), duplicate: r() < 0.5 }],
    },
  }),
  fetch: (r) => ({
    request: {
      waitMs: int(r, 50),
      maxRecords: 1 + int(r, 100),
      maxBytes: 1 + int(r, 1 << 20),
      isolation: pick(r, ["read_uncommitted", "read_committed"] as const),
      group: r() < 0.5 ? null : text(r),
      positions: positions(r),
    },
    response: {
      ...err(r),
      partitions: [
        {
          topic: text(r),
          partition: int(r, 3),
          errorCode: 0,
          highWatermark: int(r, 1e6),
          lastStableOffset: int(r, 1e6),
          logStartOffset: 0,
          nextOffset: int(r, 1e6),
          redeliveredBelow: int(r, 1e6),
          sets: fetchedSets(r),
        },
      ],
    },
  }),
  listOffsets: (r) => ({
    request: { topic: text(r), partition: int(r, 3), which: pick(r, ["earliest", "latest"] as const) },
    response: { ...err(r), offset: int(r, 1e9) },
  }),
  initProducerId: (r) => ({
    request: { transactionalId: r() < 0.5 ? null : text(r), transactionTimeoutMs: int(r, 60000) },
    response: { ...err(r), producerId: int(r, 1e6), producerEpoch: int(r, 100) },
  }),
  endTxn: (r) => ({
    request: { producerId: int(r, 100), producerEpoch: int(r, 5), commit: r() < 0.5 },
    response: err(r),
  }),
  txnOffsetCommit: (r) => ({
    request: {
      producerId: int(r, 100),
      producerEpoch: int(r, 5),
      group: text(r),
      memberId: r() < 0.5 ? null : "m",
      generation: int(r, 5),
      offsets: positions(r),
    },
    response: err(r),
  }),
  joinGroup: (r) => ({
    request: {
      group: text(r),
      memberId: r() < 0.5 ? null : "m-1",
      clientId: "c",
      topics: [text(r)],
      sessionTimeoutMs: 10 + int(r, 10000),
      strategy: pick(r, ["range", "roundrobin"] as const),
      mode: pick(r, ["log", "queue"] as const),
    },
    response: { ...err(r), ...member(r) },
  }),
  heartbeat: (r) => ({ request: { group: text(r), memberId: "m-1" }, response: { ...err(r), ...member(r) } }),
  leaveGroup: (r) => ({ request: { group: text(r), memberId: "m-1" }, response: err(r) }),
  offsetCommit: (r) => ({
    request: {
      group: text(r),
      memberId: r() < 0.5 ? null : "m-1",
      generation: int(r, 5) - 1,
      offsets: positions(r),
    },
    response: err(r),
  }),
  offsetFetch: (r) => ({
    request: { group: text(r), partitions: [{ topic: text(r), partition: int(r, 3) }] },
    response: { ...err(r), offsets: positions(r) },
  }),
  subscribe: (r) => ({
    request: {
      subscriptionId: int(r, 20),
      isolation: "read_uncommitted",
      group: r() < 0.5 ? null : text(r),
      flow:
        r() < 0.5
          ? { kind: "credit", credit: int(r, 100) }
          : { kind: "buffer", capacity: 1 + int(r, 100), overflow: pick(r, ["drop", "disconnect"] as const) },
      positions: positions(r),
    },
    response: err(r),
  }),
  credit: (r) => ({ request: { subscriptionId: int(r, 20), credit: int(r, 100) }, response: err(r) }),
  reassign: (r) => ({ request: { subscriptionId: int(r, 20), positions: positions(r) }, response: err(r) }),
  unsubscribe: (r) => ({ request: { subscriptionId: int(r, 20) }, response: stats(r) }),
  subscriptionStats: (r) => ({ request: { subscriptionId: int(r, 20) }, response: stats(r) }),
  queueSubscribe: (r) => ({
    request: {
      subscriptionId: int(r, 20),
      group: text(r),
      memberId: "m-1",
      generation: int(r, 5),
      ackTimeoutMs: int(r, 10000),
      maxDeliveries: int(r, 10),
      deadLetterTopic: r() < 0.5 ? null : "dlq",
      prefetch: int(r, 100),
      isolation: "read_committed",
    },
    response: err(r),
  }),
  queueSettle: (r) => ({
    request: { group: text(r), memberId: "m-1", acks: positions(r), nacks: positions(r) },
    response: err(r),
  }),
  queueGrant: (r) => ({ request: { group: text(r), memberId: "m-1", n: int(r, 100) }, response: err(r) }),
};

export function sample(name: keyof typeof APIS, rand: Rand): Sample {
  const { request, response } = SAMPLE_MAKERS[name](rand);
  return { api: APIS[name] as unknown as ApiSpec<unknown, unknown>, request, response };
}

export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
