/**
 * total-order: consumers disagree on the relative order of messages they both received. Each
 * consumer's first receipts chain its messages (x → y when it received x, then y next); the
 * consumers agree on one order exactly when the union of their chains has no cycle. Every
 * strongly connected component of that graph (Tarjan, iterative) is one disagreement: for two
 * consumers and two messages it is the pair; a cycle through three consumers is reported too.
 * O(deliveries + ids).
 */
import { type Findings, LOG } from "./findings.js";
import type { HistoryIndex } from "./history-index.js";
import type { Receipts } from "./receipts.js";

export function checkTotalOrder(ix: HistoryIndex, receipts: Receipts, out: Findings): void {
  const nIds = ix.idStatus.length;
  const { id } = ix.deliveries;
  const { start, byProcess, first } = receipts;
  // Edges as (from delivery, to delivery) of one process; CSR by source id.
  const outDeg = new Int32Array(nIds + 1);
  let edges = 0;
  const forEachEdge = (visit: (a: number, b: number) => void) => {
    for (let p = 0; p < ix.processNames.length; p++) {
      let prev = -1;
      for (let i = start[p]!; i < start[p + 1]!; i++) {
        const d = byProcess[i]!;
        if (first[d] === 0) continue;
        if (prev >= 0) visit(prev, d);
        prev = d;
      }
    }
  };
  forEachEdge((a) => {
    outDeg[id[a]! + 1]!++;
    edges++;
  });
  if (edges === 0) return;
  for (let i = 0; i < nIds; i++) outDeg[i + 1]! += outDeg[i]!;
  const adjStart = outDeg;
  // Only the target delivery is kept; a witness finds the source again (the receipt before it).
  // Filling advances adjStart[src] to the next source's start; shifting back restores it.
  const edgeTo = new Int32Array(edges);
  forEachEdge((a, b) => {
    edgeTo[adjStart[id[a]!]!++] = b;
  });
  adjStart.copyWithin(1, 0, nIds);
  adjStart[0] = 0;

  // Iterative Tarjan.
  const index = new Int32Array(nIds).fill(-1);
  const low = new Int32Array(nIds);
  const onStack = new Uint8Array(nIds);
  const stack = new Int32Array(nIds);
  const callNode = new Int32Array(nIds);
  const callEdge = new Int32Array(nIds);
  let sp = 0;
  let counter = 0;
  let components = 0;
  for (let root = 0; root < nIds; root++) {
    if (index[root] !== -1 || adjStart[root] === adjStart[root + 1]) continue;
    let depth = 0;
    callNode[0] = root;
    callEdge[0] = adjStart[root]!;
    index[root] = low[root] = counter++;
    stack[sp++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const v = callNode[depth]!;
      const e = callEdge[depth]!;
      if (e < adjStart[v + 1]!) {
        callEdge[depth] = e + 1;
        const w = id[edgeTo[e]!]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack[sp++] = w;
          onStack[w] = 1;
          depth++;
          callNode[depth] = w;
          callEdge[depth] = adjStart[w]!;
        } else if (onStack[w] === 1 && index[w]! < low[v]!) low[v] = index[w]!;
        continue;
      }
      if (low[v] === index[v]) {
        let size = 0;
        let w: number;
        // A finished node's index becomes -(component + 2): still "visited", and names its component.
        do {
          w = stack[--sp]!;
          onStack[w] = 0;
          index[w] = -(components + 2);
          size++;
        } while (w !== v);
        if (size > 1) reportCycle(ix, receipts, v, components, index, adjStart, edgeTo, out);
        components++;
      }
      depth--;
      if (depth >= 0) {
        const u = callNode[depth]!;
        if (low[v]! < low[u]!) low[u] = low[v]!;
      }
    }
  }
}

/** Reports one component with a shortest cycle through `v` as its witness (BFS inside it). */
function reportCycle(
  ix: HistoryIndex,
  receipts: Receipts,
  v: number,
  comp: number,
  index: Int32Array,
  adjStart: Int32Array,
  edgeTo: Int32Array,
  out: Findings,
): void {
  const id = ix.deliveries.id;
  const inComponent = (w: number) => index[w] === -(comp + 2);
  const sourceOf = (e: number) => previousReceipt(ix, receipts, edgeTo[e]!);
  out.report("total-order", LOG, () => {
    // BFS from v over edges inside the component until an edge returns to v.
    const via = new Map<number, number>(); // node -> edge that reached it
    const queue = [v];
    let closing = -1;
    for (let q = 0; q < queue.length && closing < 0; q++) {
      const u = queue[q]!;
      for (let e = adjStart[u]!; e < adjStart[u + 1]!; e++) {
        const w = id[edgeTo[e]!]!;
        if (!inComponent(w)) continue;
        if (w === v) {
          closing = e;
          break;
        }
        if (!via.has(w)) {
          via.set(w, e);
          queue.push(w);
        }
      }
    }
    const cycle: number[] = [];
    for (let e = closing; e >= 0; ) {
      cycle.unshift(e);
      const u = id[sourceOf(e)]!;
      e = u === v ? -1 : via.get(u)!;
    }
    const shown = cycle.slice(0, 4);
    const steps = shown.map((e) => {
      const a = sourceOf(e);
      const b = edgeTo[e]!;
      return `process ${ix.processNames[ix.deliveries.proc[a]!]} received ${ix.ids.name(id[a]!)} before ${ix.ids.name(id[b]!)}`;
    });
    return {
      message: `consumers disagree on the order of ${cycle.length} message(s): ${steps.join("; ")}${cycle.length > shown.length ? "; ..." : ""}`,
      lines: shown.flatMap((e) => [ix.deliveries.line[sourceOf(e)]!, ix.deliveries.line[edgeTo[e]!]!]),
      focus: shown.flatMap((e) => [ix.ids.name(id[sourceOf(e)]!), ix.ids.name(id[edgeTo[e]!]!)]),
    };
  });
}

/** The first receipt its process had just before delivery d (the source of d's chain edge). */
function previousReceipt(ix: HistoryIndex, receipts: Receipts, d: number): number {
  const { start, byProcess, first } = receipts;
  const p = ix.deliveries.proc[d]!;
  // byProcess holds each process's deliveries in increasing order: binary search.
  let lo = start[p]!;
  let hi = start[p + 1]! - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byProcess[mid]! < d) lo = mid + 1;
    else hi = mid;
  }
  let i = lo;
  for (i--; i >= start[p]!; i--) if (first[byProcess[i]!] === 1) return byProcess[i]!;
  return d;
}
