/**
 * Feeds the byte scanner's columns into the builder, in history order: maps each scanner's local
 * names to the global ones, and sends raw lines through the reference reader.
 */
import { HistoryParseError } from "./errors.js";
import type { HistoryBuilder } from "./history-index.js";
import { applyLine } from "./parse-json.js";
import { ITEM_WIDTH, OP, OP_WIDTH, type ScanResult, TYPE_NAMES } from "./scan.js";

/**
 * One scanner's local ids → global ids (a scanner interns across all the chunks it reads). A name
 * is registered with the builder when the replay first uses it, so every reader registers names in
 * the order their lines use them (as the JSON reader does), whichever lines the scanner kept whole.
 */
class NameMap {
  readonly names: string[] = [];
  readonly ids: number[] = [];
  constructor(private readonly register: (b: HistoryBuilder, name: string) => number) {}
  add(names: readonly string[]): void {
    for (const n of names) {
      this.names.push(n);
      this.ids.push(-1);
    }
  }
  get(b: HistoryBuilder, local: number): number {
    const id = this.ids[local]!;
    if (id >= 0) return id;
    const g = this.register(b, this.names[local]!);
    this.ids[local] = g;
    return g;
  }
}

export class LocalNames {
  readonly processes = new NameMap((b, n) => b.process(n));
  readonly groups = new NameMap((b, n) => b.group(n));
  readonly topics = new NameMap((b, n) => b.topic(n));
  readonly keys = new NameMap((b, n) => b.key(n));
}

/** (topic, partition) → the builder's pair index, cached in arrays. */
class PartCache {
  private readonly byTopic: Int32Array[] = [];
  constructor(private readonly b: HistoryBuilder) {}
  get(topic: number, partition: number): number {
    let row = this.byTopic[topic];
    if (row === undefined || partition >= row.length) {
      const next = new Int32Array(Math.max(16, partition * 2 + 1));
      if (row !== undefined) next.set(row);
      row = next;
      this.byTopic[topic] = row;
    }
    let p = row[partition]!;
    if (p === 0) {
      p = this.b.part(topic, partition) + 1;
      row[partition] = p;
    }
    return p - 1;
  }
}

export class Replayer {
  private readonly parts: PartCache;
  constructor(
    private readonly b: HistoryBuilder,
    private readonly source: string,
  ) {
    this.parts = new PartCache(b);
  }

  /** Replays one chunk whose first line is line `lineBase + 1`; `final`: the file's last chunk. */
  replay(r: ScanResult, names: LocalNames, lineBase: number, final: boolean): void {
    const b = this.b;
    names.processes.add(r.names.processes);
    names.groups.add(r.names.groups);
    names.topics.add(r.names.topics);
    names.keys.add(r.names.keys);
    const { ops, items, offsets, otherIds } = r;
    const pm = names.processes;
    const gm = names.groups;
    const tm = names.topics;
    const km = names.keys;
    const idAt = (k: number): number => {
      const p = items[k + 1]!;
      const s = items[k + 2]!;
      return p >= 0 ? b.idParts(p, s) : b.id(otherIds[s]!);
    };
    const partOf = (k: number, topic: number, line: number): number => {
      const pn = items[k + 4]!;
      if (pn >= 0) {
        if (topic < 0)
          throw new HistoryParseError(line, `a message with a "partition" needs its "topic"`, this.source);
        return this.parts.get(topic, pn);
      }
      return topic >= 0 && !Number.isNaN(offsets[k / ITEM_WIDTH]!) ? this.parts.get(topic, 0) : -1;
    };
    for (let o = 0; o < ops.length; o += OP_WIDTH) {
      const op = ops[o]!;
      const type = ops[o + 1]!;
      const line = lineBase + ops[o + 4]!;
      const from = ops[o + 5]! * ITEM_WIDTH;
      const to = ops[o + 6]! * ITEM_WIDTH;
      switch (op) {
        case OP.send: {
          const ok = type === 1;
          b.beginSend(TYPE_NAMES[type]!, pm.get(b, ops[o + 2]!), line);
          let last = -1;
          for (let k = from; k < to; k += ITEM_WIDTH) {
            const id = idAt(k);
            if (items[k] === 1) {
              b.sendDep(last, id);
              continue;
            }
            const t = items[k + 3]!;
            const topic = t >= 0 ? tm.get(b, t) : -1;
            const key = items[k + 5]! >= 0 ? km.get(b, items[k + 5]!) : -1;
            b.sendItem(
              id,
              topic,
              key,
              ok ? partOf(k, topic, line) : -1,
              ok ? offsets[k / ITEM_WIDTH]! : Number.NaN,
            );
            last = id;
          }
          b.endSend();
          break;
        }
        case OP.poll: {
          b.beginPoll(pm.get(b, ops[o + 2]!), gm.get(b, ops[o + 3]!), line);
          for (let k = from; k < to; k += ITEM_WIDTH) {
            const t = items[k + 3]!;
            const topic = t >= 0 ? tm.get(b, t) : -1;
            const key = items[k + 5]! >= 0 ? km.get(b, items[k + 5]!) : -1;
            b.pollItem(idAt(k), topic, key, partOf(k, topic, line), offsets[k / ITEM_WIDTH]!);
          }
          break;
        }
        case OP.commitOffsets:
          b.beginCommit(pm.get(b, ops[o + 2]!), gm.get(b, ops[o + 3]!), line);
          for (let k = from; k < to; k += ITEM_WIDTH)
            b.commitOffset(this.parts.get(tm.get(b, items[k + 3]!), items[k + 4]!), offsets[k / ITEM_WIDTH]!);
          b.endCommit();
          break;
        case OP.commitIds:
          b.beginCommit(pm.get(b, ops[o + 2]!), gm.get(b, ops[o + 3]!), line);
          for (let k = from; k < to; k += ITEM_WIDTH) b.commitId(idAt(k));
          b.endCommit();
          break;
        case OP.assign:
          b.beginAssign(pm.get(b, ops[o + 2]!), gm.get(b, ops[o + 3]!), line);
          for (let k = from; k < to; k += ITEM_WIDTH)
            b.assignPartition(this.parts.get(tm.get(b, items[k + 3]!), items[k + 4]!));
          break;
        case OP.crash:
          b.crash(pm.get(b, ops[o + 2]!), line);
          break;
        case OP.drain: {
          // The group is registered whatever the type, as the JSON reader does.
          const g = gm.get(b, ops[o + 3]!);
          if (type === 1) b.drain(g, line, ops[o + 7] === 1);
          break;
        }
        case OP.raw:
          applyLine(
            b,
            r.raws[ops[o + 7]!]!,
            line,
            final && r.unterminated && ops[o + 4] === r.lines,
            this.source,
          );
          break;
      }
    }
  }
}
