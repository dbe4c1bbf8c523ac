/**
 * causal: a consumer receives m before a message m causally depends on, both reaching it.
 * Causal precedence is the transitive closure of process order (a process's earlier sends, in
 * batch order, and the messages it received before sending) and explicit `deps`.
 *
 * Messages are numbered in first-send order, which is a topological order of that graph. Per
 * consumer C, one pass computes latest[m] = the latest position in C's receipts of any causal
 * predecessor of m (max over direct predecessors x of max(pos_C(x), latest[x])); m violates
 * when latest[m] > pos_C(m). O(consumers × (sends + dependency edges)).
 */
import type { Findings } from "./findings.js";
import type { HistoryIndex } from "./history-index.js";
import type { Receipts } from "./receipts.js";

export function checkCausal(ix: HistoryIndex, receipts: Receipts, out: Findings): void {
  const { id: sId, proc: sProc, line: sLine } = ix.sends;
  const nSends = sId.length;
  if (nSends === 0 || ix.deliveries.length === 0) return;
  const nIds = ix.idStatus.length;
  const nProcs = ix.processNames.length;
  const { id: dId, proc: dProc, line: dLine } = ix.deliveries;
  const { start, byProcess, first } = receipts;

  // Send index of each id (-1: never sent).
  const sendIndex = new Int32Array(nIds).fill(-1);
  for (let s = 0; s < nSends; s++) sendIndex[sId[s]!] = s;
  // Process order: the previous send of the same process.
  const prevSame = new Int32Array(nSends).fill(-1);
  const lastOf = new Int32Array(nProcs).fill(-1);
  for (let s = 0; s < nSends; s++) {
    prevSame[s] = lastOf[sProc[s]!]!;
    lastOf[sProc[s]!] = s;
  }
  // Other direct predecessors (deps, and receipts before the send), CSR by send index.
  const extraFrom: number[] = [];
  const extraTo: number[] = [];
  for (let x = 0; x < nIds; x++) {
    const s = sendIndex[x]!;
    if (s < 0) continue;
    for (let k = ix.depStart[x]!; k < ix.depStart[x + 1]!; k++) {
      const dep = sendIndex[ix.depIds[k]!]!;
      if (dep >= 0 && dep < s) {
        extraFrom.push(dep);
        extraTo.push(s);
      }
    }
  }
  // A sender's receipts before each of its sends (walking back its process-order chain).
  for (let p = 0; p < nProcs; p++) {
    if (lastOf[p] === -1 || start[p] === start[p + 1]) continue;
    const mine: number[] = [];
    for (let s = lastOf[p]!; s >= 0; s = prevSame[s]!) mine.push(s);
    mine.reverse();
    let i = start[p]!;
    const end = start[p + 1]!;
    for (const s of mine) {
      while (i < end && dLine[byProcess[i]!]! < sLine[s]!) {
        const x = sendIndex[dId[byProcess[i]!]!]!;
        if (x >= 0 && x < s) {
          extraFrom.push(x);
          extraTo.push(s);
        }
        i++;
      }
    }
  }
  const predStart = new Int32Array(nSends + 1);
  for (const t of extraTo) predStart[t + 1]!++;
  for (let s = 0; s < nSends; s++) predStart[s + 1]! += predStart[s]!;
  const fill = predStart.slice(0, nSends);
  const preds = new Int32Array(extraTo.length);
  for (let k = 0; k < extraTo.length; k++) preds[fill[extraTo[k]!]!++] = extraFrom[k]!;

  if (extraTo.length === 0) {
    producerOrderOnly(ix, receipts, sendIndex, sProc, out);
    return;
  }
  const pos = new Int32Array(nSends).fill(-1); // position of C's first receipt, by send index
  const posDelivery: number[] = []; // position -> delivery
  const latest = new Int32Array(nSends);
  for (let c = 0; c < nProcs; c++) {
    if (start[c] === start[c + 1]) continue;
    posDelivery.length = 0;
    let maxS = -1;
    for (let i = start[c]!; i < start[c + 1]!; i++) {
      const d = byProcess[i]!;
      if (first[d] === 0) continue;
      const s = sendIndex[dId[d]!]!;
      if (s < 0) continue;
      pos[s] = posDelivery.length;
      posDelivery.push(d);
      if (s > maxS) maxS = s;
    }
    for (let s = 0; s <= maxS; s++) {
      let best = -1;
      const prev = prevSame[s]!;
      if (prev >= 0) best = Math.max(pos[prev]!, latest[prev]!);
      for (let k = predStart[s]!; k < predStart[s + 1]!; k++) {
        const x = preds[k]!;
        const v = Math.max(pos[x]!, latest[x]!);
        if (v > best) best = v;
      }
      latest[s] = best;
      const mine = pos[s]!;
      if (mine >= 0 && best > mine) {
        const effect = posDelivery[mine]!;
        const cause = posDelivery[best]!;
        out.report("causal", ix.processGroup[dProc[effect]!]!, () => ({
          message:
            `process ${ix.processNames[c]} received ${ix.ids.name(dId[effect]!)} before ` +
            `${ix.ids.name(dId[cause]!)}, which it causally depends on`,
          lines: [dLine[effect]!, dLine[cause]!],
          focus: [ix.ids.name(dId[effect]!), ix.ids.name(dId[cause]!)],
        }));
      }
    }
    for (const d of posDelivery) pos[sendIndex[dId[d]!]!] = -1;
  }
}

/**
 * Without deps or relays, causal order is each producer's send order: per consumer, walking its
 * first receipts backwards with the earliest-sent later receipt of each producer, a message is
 * read too early when a message its producer sent before it comes later. O(deliveries), and
 * the same count as the general pass (one per message read before one of its causes).
 */
function producerOrderOnly(
  ix: HistoryIndex,
  receipts: Receipts,
  sendIndex: Int32Array,
  sProc: Int32Array,
  out: Findings,
): void {
  const { id: dId, proc: dProc, line: dLine } = ix.deliveries;
  const { start, byProcess, first } = receipts;
  const nProcs = ix.processNames.length;
  const earliestLater = new Int32Array(nProcs); // send index + 1; 0 = none, per producer
  const earliestDelivery = new Int32Array(nProcs);
  const touched: number[] = [];
  for (let c = 0; c < nProcs; c++) {
    for (let i = start[c + 1]! - 1; i >= start[c]!; i--) {
      const d = byProcess[i]!;
      if (first[d] === 0) continue;
      const s = sendIndex[dId[d]!]!;
      if (s < 0) continue;
      const p = sProc[s]!;
      const later = earliestLater[p]!;
      if (later === 0) touched.push(p);
      if (later !== 0 && later - 1 < s) {
        const cause = earliestDelivery[p]!;
        out.report("causal", ix.processGroup[dProc[d]!]!, () => ({
          message:
            `process ${ix.processNames[c]} received ${ix.ids.name(dId[d]!)} before ` +
            `${ix.ids.name(dId[cause]!)}, which it causally depends on`,
          lines: [dLine[d]!, dLine[cause]!],
          focus: [ix.ids.name(dId[d]!), ix.ids.name(dId[cause]!)],
        }));
      } else {
        earliestLater[p] = s + 1;
        earliestDelivery[p] = d;
      }
    }
    for (const p of touched) earliestLater[p] = 0;
    touched.length = 0;
  }
}
