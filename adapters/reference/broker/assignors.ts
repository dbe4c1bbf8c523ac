/**
 * Partition assignment strategies, as Kafka's range and round-robin assignors. Pure functions of
 * the members' subscriptions and the topics' partition counts; deterministic (members sorted by id),
 * so every rebalance with the same members gives the same answer.
 */

export const ASSIGNMENT_STRATEGIES = ["range", "roundrobin"] as const;
export type AssignmentStrategy = (typeof ASSIGNMENT_STRATEGIES)[number];

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface MemberSubscription {
  readonly memberId: string;
  readonly topics: readonly string[];
}

export type GroupAssignment = ReadonlyMap<string, readonly TopicPartitionRef[]>;

const byId = (a: MemberSubscription, b: MemberSubscription) =>
  a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;

/**
 * range: per topic, the members subscribed to it (sorted) get contiguous ranges of its partitions,
 * the first `partitions % members` one extra each.
 */
export function assignRange(
  members: readonly MemberSubscription[],
  partitionCounts: ReadonlyMap<string, number>,
): GroupAssignment {
  const sorted = [...members].sort(byId);
  const out = new Map<string, TopicPartitionRef[]>(sorted.map((m) => [m.memberId, []]));
  const topics = [...partitionCounts.keys()].sort();
  for (const topic of topics) {
    const n = partitionCounts.get(topic)!;
    const subscribed = sorted.filter((m) => m.topics.includes(topic));
    if (subscribed.length === 0) continue;
    const per = Math.floor(n / subscribed.length);
    const extra = n % subscribed.length;
    let next = 0;
    subscribed.forEach((m, i) => {
      const count = per + (i < extra ? 1 : 0);
      const list = out.get(m.memberId)!;
      for (let p = next; p < next + count; p++) list.push({ topic, partition: p });
      next += count;
    });
  }
  return out;
}

/**
 * roundrobin: every partition of every subscribed topic (sorted by topic, then partition) goes to
 * the next member in circular order that subscribes to its topic.
 */
export function assignRoundRobin(
  members: readonly MemberSubscription[],
  partitionCounts: ReadonlyMap<string, number>,
): GroupAssignment {
  const sorted = [...members].sort(byId);
  const out = new Map<string, TopicPartitionRef[]>(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return out;
  const topics = [...partitionCounts.keys()].sort();
  let cursor = 0;
  for (const topic of topics) {
    if (!sorted.some((m) => m.topics.includes(topic))) continue;
    const n = partitionCounts.get(topic)!;
    for (let p = 0; p < n; p++) {
      while (!sorted[cursor % sorted.length]!.topics.includes(topic)) cursor++;
      out.get(sorted[cursor % sorted.length]!.memberId)!.push({ topic, partition: p });
      cursor++;
    }
  }
  return out;
}

export function assignPartitions(
  strategy: AssignmentStrategy,
  members: readonly MemberSubscription[],
  partitionCounts: ReadonlyMap<string, number>,
): GroupAssignment {
  return strategy === "range"
    ? assignRange(members, partitionCounts)
    : assignRoundRobin(members, partitionCounts);
}
