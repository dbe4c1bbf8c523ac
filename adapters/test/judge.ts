/**
 * Judges a test history. Interim: counts loss and duplicates per group directly, by the definitions
 * of docs/HISTORY.md (acknowledged = ok send; lost = acknowledged, never delivered to a drained
 * group; duplicate-delivery = delivered to a group more than once; unexpected = never attempted).
 * To be replaced by the checkers (checkers/index.ts) once they land.
 */
import type { HistoryLine } from "./history.js";

export interface GroupTally {
  readonly group: string;
  readonly drained: boolean;
  readonly delivered: number;
  readonly lost: readonly string[];
  readonly duplicateDelivery: readonly string[];
  readonly unexpected: readonly string[];
  /** Deliveries the broker flagged as redelivered. */
  readonly redelivered: number;
}

export interface Tally {
  readonly attempted: number;
  readonly acknowledged: number;
  readonly groups: ReadonlyMap<string, GroupTally>;
}

interface IdValue {
  readonly id: string;
  readonly redelivered?: boolean;
}

export function tally(lines: readonly HistoryLine[]): Tally {
  const attempted = new Set<string>();
  const acknowledged = new Set<string>();
  const deliveries = new Map<string, Map<string, number>>();
  const redelivered = new Map<string, number>();
  const drained = new Set<string>();
  for (const line of lines) {
    const values = Array.isArray(line.value) ? (line.value as IdValue[]) : [];
    if (line.f === "send" && line.type === "invoke") for (const v of values) attempted.add(v.id);
    if (line.f === "send" && line.type === "ok") for (const v of values) acknowledged.add(v.id);
    if (line.f === "poll" && line.type === "ok") {
      const group = String(line.group);
      const counts = deliveries.get(group) ?? new Map<string, number>();
      deliveries.set(group, counts);
      for (const v of values) {
        counts.set(v.id, (counts.get(v.id) ?? 0) + 1);
        if (v.redelivered) redelivered.set(group, (redelivered.get(group) ?? 0) + 1);
      }
    }
    if (line.f === "drain" && (line.value as { complete?: boolean } | undefined)?.complete === true) {
      drained.add(String(line.group));
    }
  }
  const groups = new Map<string, GroupTally>();
  for (const [group, counts] of deliveries) {
    const isDrained = drained.has(group);
    groups.set(group, {
      group,
      drained: isDrained,
      delivered: [...counts.values()].reduce((a, b) => a + b, 0),
      lost: isDrained ? [...acknowledged].filter((id) => !counts.has(id)) : [],
      duplicateDelivery: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
      unexpected: [...counts.keys()].filter((id) => !attempted.has(id)),
      redelivered: redelivered.get(group) ?? 0,
    });
  }
  for (const group of drained) {
    if (!groups.has(group)) {
      groups.set(group, {
        group,
        drained: true,
        delivered: 0,
        lost: [...acknowledged],
        duplicateDelivery: [],
        unexpected: [],
        redelivered: 0,
      });
    }
  }
  return { attempted: attempted.size, acknowledged: acknowledged.size, groups };
}

export function groupTally(t: Tally, group: string): GroupTally {
  const g = t.groups.get(group);
  if (!g) throw new Error(`no deliveries and no drain recorded for group ${group}`);
  return g;
}
