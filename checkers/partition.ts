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

  // duplicate-write: an id observed at a position other than its first one (the log order's
  // idPart/idRank). Queue-model offsets may be per delivery (delivery tags, redelivery sequence
  // numbers), so there only acks count.
  const reported = new Uint8Array(ix.idStatus.length);
  const firstObservation = (id: number): number => {
    for (let i = 0; i < acks.length; i++)
      if (acks.id[i] === id && order.ackRank[i] === order.idRank[id] && acks.part[i] === order.idPart[id])
        return i;
    for (let d = 0; d < deliveries.length; d++)
      if (
        deliveries.id[d] === id &&
        order.deliveryRank[d] === order.idRank[id] &&
        deliveries.part[d] === order.idPart[id]
      )
        return -(d + 1);
    return 0;
  };
  const observe = (id: number, part: number, rank: number, ref: number) => {
    if (rank < 0 || (part === order.idPart[id] && rank === order.idRank[id]) || reported[id] === 1) return;
    reported[id] = 1;
    out.report("duplicate-write", LOG, () => {
      const f = firstObservation(id);
      const at = (r: number) =>
        r >= 0
          ? `${partName(acks.part[r]!)}@${acks.offset[r]}`
          : `${partName(deliveries.part[-r - 1]!)}@${deliveries.offset[-r - 1]}`;
      return {
        message: `${name(id)} is in the log twice: ${at(f)} and ${at(ref)}`,
        lines: [obsLine(ix, f), obsLine(ix, ref)],
        focus: name(id),
      };
    });
  };
  for (let i = 0; i < acks.length; i++) observe(acks.id[i]!, acks.part[i]!, order.ackRank[i]!, i);
  if (ix.model === "log")
    for (let d = 0; d < deliveries.length; d++)
      observe(deliveries.id[d]!, deliveries.part[d]!, order.deliveryRank[d]!, -(d + 1));

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
