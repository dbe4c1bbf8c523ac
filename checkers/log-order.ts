/**
 * The log order of each partition, derived once from acks and polls together: every observed
 * (partition, offset) gets its dense index (rank among the partition's observed offsets, so gaps
 * from markers or compaction are not skips), and every offset holding two different ids is noted.
 *
 * Dense partitions (observed offsets spanning at most 4× their number) use direct addressing,
 * O(observations + span); sparse ones sort their distinct offsets, O(k log k).
 */
import type { HistoryIndex } from "./history-index.js";

export interface LogOrder {
  /** Per ack event: its dense index in its partition, -1 when its offset is null. */
  readonly ackRank: Int32Array;
  /** Per delivery: its dense index, -1 when unknown (null offset and no acked offset either). */
  readonly deliveryRank: Int32Array;
  /** Per id: partition and dense index of its first observed position, -1 when none. */
  readonly idPart: Int32Array;
  readonly idRank: Int32Array;
  /** Two different ids at one position: observation a (first) and b, as event references. */
  readonly conflicts: readonly { readonly a: number; readonly b: number }[];
}

/** An observation reference: ack i is i, delivery d is -(d + 1). */
export function obsLine(ix: HistoryIndex, ref: number): number {
  return ref >= 0 ? ix.acks.line[ref]! : ix.deliveries.line[-ref - 1]!;
}
export function obsId(ix: HistoryIndex, ref: number): number {
  return ref >= 0 ? ix.acks.id[ref]! : ix.deliveries.id[-ref - 1]!;
}

export function buildLogOrder(ix: HistoryIndex): LogOrder {
  const nParts = ix.partTopic.length;
  const { acks, deliveries } = ix;
  const min = new Float64Array(nParts).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(nParts).fill(Number.NEGATIVE_INFINITY);
  const count = new Float64Array(nParts);
  const see = (part: number, off: number) => {
    if (part < 0 || Number.isNaN(off)) return;
    if (off < min[part]!) min[part] = off;
    if (off > max[part]!) max[part] = off;
    count[part]!++;
  };
  for (let i = 0; i < acks.length; i++) see(acks.part[i]!, acks.offset[i]!);
  for (let i = 0; i < deliveries.length; i++) see(deliveries.part[i]!, deliveries.offset[i]!);

  // Dense partitions get a slot range in one shared table; sparse ones a Map.
  const base = new Float64Array(nParts).fill(-1);
  let slots = 0;
  const sparse: (Map<number, number> | null)[] = [];
  for (let p = 0; p < nParts; p++) {
    const span = max[p]! - min[p]! + 1;
    if (count[p]! > 0 && span <= 4 * count[p]! + 1024 && slots + span < 2 ** 31 - 1) {
      base[p] = slots;
      slots += span;
      sparse.push(null);
    } else sparse.push(count[p]! > 0 ? new Map() : null);
  }
  const slotRef = new Int32Array(slots);
  let hasRef = new Uint8Array(slots);
  const conflicts: { a: number; b: number }[] = [];
  const conflictSeen = new Set<string>();
  const place = (part: number, off: number, ref: number) => {
    if (part < 0 || Number.isNaN(off)) return;
    let first: number | undefined;
    const b = base[part]!;
    if (b >= 0) {
      const s = b + off - min[part]!;
      if (hasRef[s] === 0) {
        hasRef[s] = 1;
        slotRef[s] = ref;
        return;
      }
      first = slotRef[s]!;
    } else {
      const m = sparse[part]!;
      first = m.get(off);
      if (first === undefined) {
        m.set(off, ref);
        return;
      }
    }
    if (obsId(ix, first) !== obsId(ix, ref)) {
      const k = `${part}:${off}:${obsId(ix, ref)}`;
      if (!conflictSeen.has(k)) {
        conflictSeen.add(k);
        conflicts.push({ a: first, b: ref });
      }
    }
  };
  for (let i = 0; i < acks.length; i++) place(acks.part[i]!, acks.offset[i]!, i);
  for (let d = 0; d < deliveries.length; d++) place(deliveries.part[d]!, deliveries.offset[d]!, -(d + 1));

  // Ranks: a prefix count over dense slots, sorted keys for sparse partitions.
  const slotRank = new Int32Array(slots);
  for (let p = 0; p < nParts; p++) {
    const b = base[p]!;
    if (b < 0) continue;
    const span = max[p]! - min[p]! + 1;
    let r = 0;
    for (let s = b; s < b + span; s++) {
      slotRank[s] = r;
      r += hasRef[s]!;
    }
  }
  hasRef = new Uint8Array(0);
  const sparseRank = sparse.map((m) => {
    if (m === null) return null;
    const keys = Float64Array.from(m.keys()).sort();
    const rank = new Map<number, number>();
    for (let i = 0; i < keys.length; i++) rank.set(keys[i]!, i);
    return rank;
  });
  const rankOf = (part: number, off: number): number => {
    if (part < 0 || Number.isNaN(off)) return -1;
    const b = base[part]!;
    if (b >= 0) return slotRank[b + off - min[part]!]!;
    return sparseRank[part]!.get(off) ?? -1;
  };

  const nIds = ix.idStatus.length;
  const idPart = new Int32Array(nIds).fill(-1);
  const idRank = new Int32Array(nIds).fill(-1);
  const ackRank = new Int32Array(acks.length);
  for (let i = 0; i < acks.length; i++) {
    const r = rankOf(acks.part[i]!, acks.offset[i]!);
    ackRank[i] = r;
    const id = acks.id[i]!;
    if (r >= 0 && idRank[id] === -1) {
      idRank[id] = r;
      idPart[id] = acks.part[i]!;
    }
  }
  const deliveryRank = new Int32Array(deliveries.length);
  for (let d = 0; d < deliveries.length; d++) {
    const part = deliveries.part[d]!;
    let r = rankOf(part, deliveries.offset[d]!);
    const id = deliveries.id[d]!;
    if (r >= 0 && idRank[id] === -1) {
      idRank[id] = r;
      idPart[id] = part;
    }
    if (r < 0 && idPart[id] === part) r = idRank[id]!;
    deliveryRank[d] = r;
  }
  return { ackRank, deliveryRank, idPart, idRank, conflicts };
}
