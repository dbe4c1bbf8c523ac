/**
 * Delivery family: lost, duplicate-delivery, duplicate-processing, unexpected, aborted-read, and
 * the `recovered` count. One pass over the deliveries per group, O(deliveries + ids) each.
 *
 * A group that subscribed with a predicate (meta `predicates`) is owed exactly the messages it
 * matches, from each message's recorded `props` (none recorded: no property, so every comparison
 * is UNKNOWN): an acknowledged match it never received is lost, a delivered message it does not
 * match is unexpected. The predicate is evaluated once per distinct property set.
 */
import { formatPredicate, predicateMatches } from "../core/predicates.js";
import type { Findings } from "./findings.js";
import { type HistoryIndex, SEND } from "./history-index.js";

export interface GroupDeliveryStats {
  /** Distinct ids delivered to the group. */
  delivered: number;
  recovered: number;
}

export function checkDelivery(ix: HistoryIndex, out: Findings): GroupDeliveryStats[] {
  const nIds = ix.idStatus.length;
  const { id: dId, proc: dProc, line: dLine, processed } = ix.deliveries;
  const status = ix.idStatus;
  const name = (id: number) => ix.ids.name(id);
  const stats: GroupDeliveryStats[] = [];
  // Reused across groups: one group's state at a time.
  const first = new Int32Array(nIds);
  const firstProcessed = new Int32Array(nIds);
  const count = new Uint8Array(nIds);
  const processedCount = new Uint8Array(nIds);
  for (let g = 0; g < ix.groupNames.length; g++) {
    count.fill(0);
    processedCount.fill(0);
    const predicate = ix.groupPredicates[g] ?? null;
    // Per property set (index + 1; 0: none recorded): does the group's predicate match it?
    const matchesProps =
      predicate === null
        ? null
        : Uint8Array.from(
            [
              predicateMatches(predicate, {}),
              ...ix.propsList.map((p) => predicateMatches(predicate, p.properties)),
            ],
            Number,
          );
    const intended = (id: number): boolean =>
      matchesProps === null || matchesProps[ix.idProps[id]! + 1] === 1;
    const propsText = (id: number): string => {
      const k = ix.idProps[id]!;
      return k < 0 ? "no properties" : `properties ${ix.propsList[k]!.json}`;
    };
    let delivered = 0;
    let recovered = 0;
    for (let d = 0; d < dId.length; d++) {
      if (ix.processGroup[dProc[d]!] !== g) continue;
      const id = dId[d]!;
      const c = count[id]!;
      if (c === 0) {
        first[id] = d;
        delivered++;
        const s = status[id]!;
        if ((s & SEND.attempted) === 0) {
          out.report("unexpected", g, () => ({
            message: `${name(id)} was delivered but never sent`,
            lines: [dLine[d]!],
            focus: name(id),
          }));
        } else if ((s & (SEND.ok | SEND.info | SEND.unknown)) === 0) {
          out.report("aborted-read", g, () => ({
            message: `${name(id)} was delivered although its send failed`,
            lines: [ix.idSendLine[id]!, dLine[d]!],
            focus: name(id),
          }));
        } else if (!intended(id)) {
          out.report("unexpected", g, () => ({
            message: `${name(id)} was delivered to ${ix.groupNames[g]} but its ${propsText(id)} do not match the group's predicate ${formatPredicate(predicate!)}`,
            lines: [ix.idSendLine[id]!, dLine[d]!],
            focus: name(id),
          }));
        } else if ((s & SEND.ok) === 0) recovered++;
      } else if (c === 1) {
        const f = first[id]!;
        out.report("duplicate-delivery", g, () => ({
          message: `${name(id)} was delivered twice (processes ${ix.processNames[dProc[f]!]} and ${ix.processNames[dProc[d]!]})`,
          lines: [dLine[f]!, dLine[d]!],
          focus: name(id),
        }));
      }
      if (c < 255) count[id] = c + 1;
      if (processed[d] === 1) {
        const p = processedCount[id]!;
        if (p === 0) firstProcessed[id] = d;
        else if (p === 1) {
          const f = firstProcessed[id]!;
          out.report("duplicate-processing", g, () => ({
            message: `${name(id)} was processed (delivered, then committed) twice`,
            lines: [dLine[f]!, dLine[d]!],
            focus: name(id),
          }));
        }
        if (p < 255) processedCount[id] = p + 1;
      }
    }
    const drained = ix.groupDrainedLine[g]!;
    if (drained > 0) {
      const topics = ix.groupTopics[g]!;
      for (let id = 0; id < nIds; id++) {
        if ((status[id]! & SEND.ok) === 0 || count[id] !== 0) continue;
        // A group is judged on the topics it consumed (all of them when it received nothing).
        if (topics.size > 0 && !topics.has(ix.idTopic[id]!)) continue;
        if (!intended(id)) continue;
        out.report("lost", g, () => ({
          message: `${name(id)} was acknowledged but never delivered to ${ix.groupNames[g]} before its drain completed${matchesProps === null ? "" : ` (its ${propsText(id)} match the group's predicate)`}`,
          lines: [ix.idAckLine[id]!, drained],
          focus: name(id),
        }));
      }
    }
    stats.push({ delivered, recovered });
  }
  return stats;
}
