/**
 * Partition-order family: inconsistent-offset and duplicate-write (the log itself), poll-skip and
 * nonmonotonic-poll (one consumer's consecutive reads of a partition), nonmonotonic-send (one
 * producer's acknowledged sends to a partition). All O(observations) over the shared log order.
 */
import { type Findings, LOG } from "./findings.js";
import type { HistoryIndex } from "./history-index.js";
import { type LogOrder, obsId, obsLine } from "./log-order.js";
import { PairStore } from "./pair-store.js";

export function checkPartitionOrder(ix: HistoryIndex, order: LogOrder, out: Findings): void {
  const name = (id: number) => ix.ids.name(id);
  const partName = (p: number) => `${ix.topicNames[ix.partTopic[p]!]}/${ix.partNumber[p]}`;
  const { acks, deliveries } = ix;

  for (const { a, b } of order.conflicts) {
    const ref = a >= 0 ? acks : deliveries;
    const i = a >= 0 ? a : -a - 1;
    out.report("inconsistent-offset", LOG, () => ({
      message:
        `${partName(ref.part[i]!)} offset ${ref.offset[i]} holds both ${name(obsId(ix, a))} and ` +
        `${name(obsId(ix, b))}`,
      lines: [obsLine(ix, a), obsLine(ix, b)],
      focus: [name(obsId(ix, a)), name(obsId(ix, b))],
    }));
  }

  // duplicate-write: an id at two positions. Queue-model offsets may be per delivery
  // (delivery tags, redelivery sequence numbers), so there only acks count.
  const nIds = ix.idStatus.length;
  const firstPart = new Int32Array(nIds).fill(-1);
  const firstOff = new Float64Array(nIds);
  const firstRef = new Int32Array(nIds);
  const reported = new Uint8Array(nIds);
  const observe = (id: number, part: number, off: number, ref: number) => {
    if (part < 0 || Number.isNaN(off)) return;
    if (firstPart[id] === -1) {
      firstPart[id] = part;
      firstOff[id] = off;
      firstRef[id] = ref;
    } else if ((firstPart[id] !== part || firstOff[id] !== off) && reported[id] === 0) {
      reported[id] = 1;
      const f = firstRef[id]!;
      out.report("duplicate-write", LOG, () => ({
        message: `${name(id)} is in the log twice: ${partName(firstPart[id]!)}@${firstOff[id]} and ${partName(part)}@${off}`,
        lines: [obsLine(ix, f), obsLine(ix, ref)],
        focus: name(id),
      }));
    }
  };
  for (let i = 0; i < acks.length; i++) observe(acks.id[i]!, acks.part[i]!, acks.offset[i]!, i);
  if (ix.model === "log")
    for (let d = 0; d < deliveries.length; d++)
      observe(deliveries.id[d]!, deliveries.part[d]!, deliveries.offset[d]!, -(d + 1));

  // nonmonotonic-send: per (process, partition), the previous acknowledged send.
  const nParts = ix.partTopic.length;
  const nProcs = ix.processNames.length;
  const lastAck = new PairStore(nParts, nProcs);
  for (let i = 0; i < acks.length; i++) {
    const r = order.ackRank[i]!;
    if (r < 0) continue;
    const proc = acks.proc[i]!;
    const part = acks.part[i]!;
    const prev = lastAck.get(proc, part);
    if (prev >= 0 && acks.id[prev] !== acks.id[i] && order.ackRank[prev]! >= r) {
      out.report("nonmonotonic-send", LOG, () => ({
        message:
          `process ${ix.processNames[proc]} sent ${name(acks.id[prev]!)} then ${name(acks.id[i]!)}, ` +
          `but ${partName(part)} holds them at offsets ${acks.offset[prev]} and ${acks.offset[i]}`,
        lines: [acks.line[prev]!, acks.line[i]!],
        focus: [name(acks.id[prev]!), name(acks.id[i]!)],
      }));
    }
    if (prev < 0 || order.ackRank[prev]! < r) lastAck.set(proc, part, i);
  }

  // poll-skip / nonmonotonic-poll: consecutive deliveries of one partition to one process
  // since its last assign (or crash), in history order.
  const last = new PairStore(nParts, nProcs);
  const epoch = new Int32Array(nProcs);
  const lastEpoch = new PairStore(nParts, nProcs);
  const { proc: rProc, line: rLine } = ix.resets;
  let r = 0;
  for (let d = 0; d < deliveries.length; d++) {
    const line = deliveries.line[d]!;
    while (r < rLine.length && rLine[r]! < line) epoch[rProc[r++]!]!++;
    const rank = order.deliveryRank[d]!;
    if (rank < 0) continue;
    const proc = deliveries.proc[d]!;
    const part = deliveries.part[d]!;
    const prev = last.get(proc, part);
    const e = epoch[proc]!;
    if (prev >= 0 && lastEpoch.get(proc, part) === e) {
      const prevRank = order.deliveryRank[prev]!;
      const g = ix.processGroup[proc]!;
      if (rank > prevRank + 1) {
        out.report("poll-skip", g, () => ({
          message:
            `process ${ix.processNames[proc]} read ${name(deliveries.id[prev]!)} then ${name(deliveries.id[d]!)} ` +
            `from ${partName(part)}, skipping ${rank - prevRank - 1} message(s)`,
          lines: [deliveries.line[prev]!, line],
          focus: [name(deliveries.id[prev]!), name(deliveries.id[d]!)],
        }));
      } else if (rank <= prevRank) {
        out.report("nonmonotonic-poll", g, () => ({
          message:
            `process ${ix.processNames[proc]} read ${name(deliveries.id[prev]!)} then ${name(deliveries.id[d]!)} ` +
            `from ${partName(part)}: log index ${prevRank} then ${rank}`,
          lines: [deliveries.line[prev]!, line],
          focus: [name(deliveries.id[prev]!), name(deliveries.id[d]!)],
        }));
      }
    }
    last.set(proc, part, d);
    lastEpoch.set(proc, part, e);
  }
}
