/**
 * key-order: a consumer first-receives a message of key k after a message of k that comes later
 * in the same partition's log. Per process, per (key, partition): the furthest log index received.
 * O(deliveries).
 */
import type { Findings } from "./findings.js";
import type { HistoryIndex } from "./history-index.js";
import type { LogOrder } from "./log-order.js";
import { PairStore } from "./pair-store.js";
import type { Receipts } from "./receipts.js";

export function checkKeyOrder(ix: HistoryIndex, order: LogOrder, receipts: Receipts, out: Findings): void {
  const nKeys = ix.keyNames.length;
  if (nKeys === 0) return;
  const nParts = ix.partTopic.length;
  const { id, line } = ix.deliveries;
  const furthest = new PairStore(nParts, nKeys);
  const owner = new PairStore(nParts, nKeys);
  const name = (x: number) => ix.ids.name(x);
  const { start, byProcess, first } = receipts;
  for (let p = 0; p < ix.processNames.length; p++) {
    for (let i = start[p]!; i < start[p + 1]!; i++) {
      const d = byProcess[i]!;
      if (first[d] === 0) continue;
      const x = id[d]!;
      const key = ix.idKey[x]!;
      const part = ix.deliveries.part[d]!;
      const rank = order.deliveryRank[d]!;
      if (key < 0 || rank < 0) continue;
      const prev = owner.get(key, part) === p ? furthest.get(key, part) : -1;
      owner.set(key, part, p);
      if (prev < 0 || order.deliveryRank[prev]! <= rank) furthest.set(key, part, d);
      else {
        const before = prev;
        out.report("key-order", ix.processGroup[p]!, () => ({
          message:
            `process ${ix.processNames[p]} received ${name(id[before]!)} before ${name(x)} (key ` +
            `${ix.keyNames[key]}), the opposite of their log order`,
          lines: [line[before]!, line[d]!],
          focus: [name(id[before]!), name(x)],
        }));
      }
    }
  }
}
