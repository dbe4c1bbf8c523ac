/**
 * Consumer group membership: members join with their subscriptions, heartbeat to stay alive, leave
 * or time out. Every membership change starts a new generation and recomputes the assignment on
 * the broker (as Kafka's KIP-848 protocol does, without a leader-side assignor); a member learns its
 * new assignment from its next heartbeat. Commits carry the generation so a member that missed a
 * rebalance cannot commit (fencing).
 */
import { type AssignmentStrategy, assignPartitions, type TopicPartitionRef } from "./assignors.js";

/** `log`: each member owns partitions (Kafka). `queue`: members share every partition (shared subscription). */
export type GroupMode = "log" | "queue";

export interface GroupMember {
  readonly id: string;
  readonly clientId: string;
  topics: readonly string[];
  readonly sessionTimeoutMs: number;
  deadlineMs: number;
  assignment: readonly TopicPartitionRef[];
  /** Per assigned partition (same order): the generation since which this member owns it without a break. */
  ownedSince: readonly number[];
}

export class GroupState {
  readonly id: string;
  generation = 0;
  strategy: AssignmentStrategy | null = null;
  mode: GroupMode | null = null;
  readonly members = new Map<string, GroupMember>();
  private nextMember = 1;

  constructor(id: string) {
    this.id = id;
  }

  newMemberId(clientId: string): string {
    return `${clientId || "member"}-${this.nextMember++}`;
  }

  /** New generation: recompute every member's assignment from the current topics. */
  rebalance(partitionCounts: ReadonlyMap<string, number>): void {
    this.generation++;
    const before = new Map<GroupMember, Map<string, number>>();
    for (const m of this.members.values()) {
      const since = new Map<string, number>();
      m.assignment.forEach((tp, i) => {
        since.set(`${tp.topic}\u0000${tp.partition}`, m.ownedSince[i] ?? this.generation);
      });
      before.set(m, since);
    }
    this.assign(partitionCounts);
    for (const m of this.members.values()) {
      const since = before.get(m)!;
      m.ownedSince = m.assignment.map(
        (tp) => since.get(`${tp.topic}\u0000${tp.partition}`) ?? this.generation,
      );
    }
  }

  private assign(partitionCounts: ReadonlyMap<string, number>): void {
    const subs = [...this.members.values()].map((m) => ({ memberId: m.id, topics: m.topics }));
    const counts = new Map<string, number>();
    for (const m of this.members.values()) {
      for (const t of m.topics) {
        const n = partitionCounts.get(t);
        if (n !== undefined) counts.set(t, n);
      }
    }
    if (this.mode === "queue") {
      // Shared subscription: every member may receive from every partition of its topics.
      for (const m of this.members.values()) {
        const all: TopicPartitionRef[] = [];
        for (const t of [...m.topics].sort()) {
          const n = counts.get(t) ?? 0;
          for (let p = 0; p < n; p++) all.push({ topic: t, partition: p });
        }
        m.assignment = all;
      }
      return;
    }
    const assignment = assignPartitions(this.strategy ?? "range", subs, counts);
    for (const m of this.members.values()) m.assignment = assignment.get(m.id) ?? [];
  }

  subscribes(topic: string): boolean {
    for (const m of this.members.values()) if (m.topics.includes(topic)) return true;
    return false;
  }
}
