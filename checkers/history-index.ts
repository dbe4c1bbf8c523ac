/**
 * The one set of indexes every checker family reads: built once, in one pass over the history,
 * by whichever parser read it (JSON lines in memory, or the byte scanner over a file).
 * Everything is a dense integer: ids, processes, groups, topics, (topic, partition) pairs.
 */

import type { Predicate, Properties } from "../core/predicates.js";
import type { OrderScope } from "../core/vocabulary.js";
import { Float64Column, Int32Column, Interner, Uint8Column } from "./columns.js";
import { IdTable } from "./id-table.js";
import type { DeliveryExpectation } from "./verdict.js";

/** Bits of `HistoryIndex.idStatus`. */
export const SEND = {
  attempted: 1,
  ok: 2,
  fail: 4,
  info: 8,
  /** Invoked, never completed (crash or end of history): outcome unknown, like `info`. */
  unknown: 16,
} as const;

export type Model = "log" | "queue";

export interface HistoryIndex {
  readonly lines: number;
  readonly model: Model;
  readonly metaExpect: { delivery?: DeliveryExpectation; order?: OrderScope };
  readonly warnings: readonly string[];
  readonly ids: IdTable;
  readonly processNames: readonly string[];
  /** Per process: its group, or -1 (a producer). */
  readonly processGroup: Int32Array;
  readonly groupNames: readonly string[];
  /** Per group: line of the completed drain, 0 when it never completed. */
  readonly groupDrainedLine: Int32Array;
  /** Per group: the topics it was assigned or delivered. */
  readonly groupTopics: readonly ReadonlySet<number>[];
  readonly topicNames: readonly string[];
  /** Per (topic, partition) pair: its topic and partition number. */
  readonly partTopic: Int32Array;
  readonly partNumber: Int32Array;
  // Per id.
  readonly idStatus: Uint8Array;
  readonly idSendLine: Int32Array;
  readonly idAckLine: Int32Array;
  readonly idTopic: Int32Array;
  readonly idKey: Int32Array;
  /** Explicit `deps`, CSR: the deps of id i are depIds[depStart[i] .. depStart[i+1]). */
  readonly depStart: Int32Array;
  readonly depIds: Int32Array;
  readonly keyNames: readonly string[];
  /** Per id: its properties (an index into `propsList`), -1 when the sends recorded none. */
  readonly idProps: Int32Array;
  /** Distinct property sets, parsed, and their JSON text (canonical: keys sorted). */
  readonly propsList: readonly { readonly properties: Properties; readonly json: string }[];
  /** Per group: the predicate it subscribed with (meta `predicates`), or null (every message). */
  readonly groupPredicates: readonly (Predicate | null)[];
  /** First attempts, in history order: id, process, line. */
  readonly sends: { readonly id: Int32Array; readonly proc: Int32Array; readonly line: Int32Array };
  /** Acknowledged positions (`ok` send entries), in history order. Offset NaN when null. */
  readonly acks: Events;
  /** Deliveries (`ok` poll entries), in history order. */
  readonly deliveries: Events & {
    /** 1 when a later ok commit of the same process covered it before its next assign or crash. */
    readonly processed: Uint8Array;
  };
  /** Assigns and crashes, in history order: each resets a process's continuity. */
  readonly resets: { readonly proc: Int32Array; readonly line: Int32Array };
}

export interface Events {
  readonly length: number;
  readonly id: Int32Array;
  readonly proc: Int32Array;
  readonly part: Int32Array;
  readonly offset: Float64Array;
  readonly line: Int32Array;
}

export type SendKind = "invoke" | "ok" | "fail" | "info";

class EventColumns {
  reserve(n: number): void {
    this.id.reserve(n);
    this.proc.reserve(n);
    this.part.reserve(n);
    this.offset.reserve(n);
    this.line.reserve(n);
  }
  readonly id = new Int32Column(1 << 14);
  readonly proc = new Int32Column(1 << 14);
  readonly part = new Int32Column(1 << 14);
  readonly offset = new Float64Column(1 << 14);
  readonly line = new Int32Column(1 << 14);
  push(id: number, proc: number, part: number, offset: number, line: number): number {
    this.id.push(id);
    this.proc.push(proc);
    this.part.push(part);
    this.offset.push(offset);
    return this.line.push(line);
  }
  freeze(): Events {
    return {
      length: this.id.length,
      id: this.id.view(),
      proc: this.proc.view(),
      part: this.part.view(),
      offset: this.offset.view(),
      line: this.line.view(),
    };
  }
}

/**
 * Receives the history operation by operation, item by item (parsers call it without building
 * objects), and keeps the little sequential state the definitions need: outstanding send invokes
 * per process, and deliveries not yet covered by a commit.
 */
export class HistoryBuilder {
  readonly ids = new IdTable();
  readonly processes = new Interner();
  readonly groups = new Interner();
  readonly topics = new Interner();
  readonly keys = new Interner();
  readonly props = new Interner();
  private readonly predicates = new Map<string, Predicate>();
  private readonly idProps = new Int32Column(1 << 16);
  private readonly parts = new Map<number, number>();
  private readonly partTopic = new Int32Column(64);
  private readonly partNumber = new Int32Column(64);
  private readonly processGroup = new Int32Column(64);
  private readonly groupDrained = new Int32Column(16);
  private readonly groupTopics: Set<number>[] = [];
  private readonly idStatus = new Uint8Column(1 << 16);
  private readonly idSendLine = new Int32Column(1 << 16);
  private readonly idAckLine = new Int32Column(1 << 16);
  private readonly idTopic = new Int32Column(1 << 16);
  private readonly idKey = new Int32Column(1 << 16);
  private readonly depFrom = new Int32Column(1024);
  private readonly depTo = new Int32Column(1024);
  private readonly sendId = new Int32Column(1 << 16);
  private readonly sendProc = new Int32Column(1 << 16);
  private readonly sendLine = new Int32Column(1 << 16);
  private readonly acks = new EventColumns();
  private readonly deliveries = new EventColumns();
  private readonly processed = new Uint8Column(1 << 16);
  private readonly resetProc = new Int32Column(256);
  private readonly resetLine = new Int32Column(256);
  /** Per process: ids of its outstanding send invoke. */
  private readonly outstanding = new Map<number, number[]>();
  /** Per process: deliveries not yet covered by a commit. */
  private readonly uncommitted = new Map<number, number[]>();
  readonly warnings: string[] = [];
  model: Model = "log";
  metaExpect: { delivery?: DeliveryExpectation; order?: OrderScope } = {};
  lines = 0;

  // Current operation.
  private opKind: SendKind = "invoke";
  private opProc = -1;
  private opLine = 0;
  private opIds: number[] = [];
  private commitParts: number[] = [];
  private commitOffsets: number[] = [];
  private commitIds: number[] = [];
  private committedByPart = new Float64Array(0);

  /** Dense index of an id, growing the per-id columns. */
  id(name: string): number {
    return this.ensure(this.ids.intern(name));
  }
  idParts(p: number, s: number): number {
    return this.ensure(this.ids.internParts(p, s));
  }
  /**
   * Grows every column to `scale` times its current size at once: the reader calls it after the
   * first chunk of a large file, so that columns are sized once instead of doubling (which at
   * tens of millions of entries costs up to twice the memory, and a copy each time).
   */
  reserve(scale: number): void {
    const ids = Math.ceil(this.ids.size * scale);
    this.ids.reserve(ids);
    if (ids > this.idStatus.length) this.ensure(ids - 1);
    this.acks.reserve(Math.ceil(this.acks.id.length * scale));
    this.deliveries.reserve(Math.ceil(this.deliveries.id.length * scale));
    this.processed.reserve(Math.ceil(this.deliveries.id.length * scale));
    const sends = Math.ceil(this.sendId.length * scale);
    this.sendId.reserve(sends);
    this.sendProc.reserve(sends);
    this.sendLine.reserve(sends);
  }

  /** Per-id columns grow by doubling; `finish` trims them to the number of ids. */
  private ensure(id: number): number {
    if (id >= this.idStatus.length) {
      const n = Math.max(id + 1, this.idStatus.length * 2, 1024);
      this.idStatus.resize(n, 0);
      this.idSendLine.resize(n, 0);
      this.idAckLine.resize(n, 0);
      this.idTopic.resize(n, -1);
      this.idKey.resize(n, -1);
      this.idProps.resize(n, -1);
    }
    return id;
  }
  process(name: string): number {
    const p = this.processes.intern(name);
    if (p >= this.processGroup.length) this.processGroup.resize(p + 1, -1);
    return p;
  }
  group(name: string): number {
    const g = this.groups.intern(name);
    if (g >= this.groupDrained.length) {
      this.groupDrained.resize(g + 1, 0);
      this.groupTopics.push(new Set());
    }
    return g;
  }
  topic(name: string): number {
    return this.topics.intern(name);
  }
  key(name: string): number {
    return this.keys.intern(name);
  }
  part(topic: number, partition: number): number {
    const k = topic * 0x100000 + partition;
    let p = this.parts.get(k);
    if (p === undefined) {
      p = this.partTopic.push(topic);
      this.partNumber.push(partition);
      this.parts.set(k, p);
    }
    return p;
  }

  meta(model: Model | undefined, delivery?: DeliveryExpectation, order?: OrderScope): void {
    if (model !== undefined) this.model = model;
    if (delivery !== undefined) this.metaExpect.delivery = delivery;
    if (order !== undefined) this.metaExpect.order = order;
  }

  // --- send ---------------------------------------------------------------------------------
  beginSend(kind: SendKind, proc: number, line: number): void {
    this.opKind = kind;
    this.opProc = proc;
    this.opLine = line;
    this.opIds = [];
  }
  /** One message of the current send; `part` -1 and `offset` NaN when absent or null. */
  sendItem(id: number, topic: number, key: number, part: number, offset: number): void {
    const status = this.idStatus.data;
    if ((status[id]! & SEND.attempted) === 0) {
      status[id] = status[id]! | SEND.attempted;
      this.idSendLine.data[id] = this.opLine;
      this.sendId.push(id);
      this.sendProc.push(this.opProc);
      this.sendLine.push(this.opLine);
    }
    if (topic >= 0 && this.idTopic.data[id]! < 0) this.idTopic.data[id] = topic;
    if (key >= 0 && this.idKey.data[id]! < 0) this.idKey.data[id] = key;
    this.opIds.push(id);
    if (this.opKind === "ok") {
      status[id] = status[id]! | SEND.ok;
      if (this.idAckLine.data[id] === 0) this.idAckLine.data[id] = this.opLine;
      if (part >= 0) this.acks.push(id, this.opProc, part, offset, this.opLine);
    }
  }
  /** The message's properties (canonical JSON text); the first send that records them wins. */
  sendProps(id: number, json: string): void {
    if (this.idProps.data[id]! < 0) this.idProps.data[id] = this.props.intern(json);
  }
  /** The group subscribed with this predicate (meta `predicates`). */
  groupPredicate(group: string, predicate: Predicate): void {
    this.predicates.set(group, predicate);
  }
  sendDep(id: number, dep: number): void {
    if (this.opKind !== "invoke" && this.outstanding.has(this.opProc)) return; // deps come with the invoke
    this.depFrom.push(id);
    this.depTo.push(dep);
  }
  endSend(): void {
    const proc = this.opProc;
    if (this.opKind === "invoke") {
      this.settle(proc, SEND.unknown); // a second invoke without completion: the first is unknown
      this.outstanding.set(proc, this.opIds);
      return;
    }
    const pending = this.outstanding.get(proc);
    this.outstanding.delete(proc);
    // A completion without messages repeats its invoke's.
    const ids = this.opIds.length > 0 ? this.opIds : (pending ?? []);
    const bit = this.opKind === "ok" ? SEND.ok : this.opKind === "fail" ? SEND.fail : SEND.info;
    const status = this.idStatus.data;
    for (const id of ids) {
      status[id] = status[id]! | bit;
      if (bit === SEND.ok && this.idAckLine.data[id] === 0) this.idAckLine.data[id] = this.opLine;
    }
    if (pending !== undefined && this.opIds.length > 0 && pending !== ids) {
      // Messages of the invoke the completion left out take the completion's outcome too.
      for (const id of pending)
        if ((status[id]! & (SEND.ok | SEND.fail | SEND.info)) === 0) status[id] = status[id]! | bit;
    }
  }
  private settle(proc: number, bit: number): void {
    const pending = this.outstanding.get(proc);
    if (pending === undefined) return;
    this.outstanding.delete(proc);
    const status = this.idStatus.data;
    for (const id of pending) status[id] = status[id]! | bit;
  }

  // --- poll ---------------------------------------------------------------------------------
  private opUncommitted: number[] = [];
  private opTopics: Set<number> | null = null;
  private opLastTopic = -1;
  beginPoll(proc: number, group: number, line: number): void {
    this.opProc = proc;
    this.opLine = line;
    this.joinGroup(proc, group);
    let list = this.uncommitted.get(proc);
    if (list === undefined) {
      list = [];
      this.uncommitted.set(proc, list);
    }
    this.opUncommitted = list;
    const g = this.processGroup.data[proc]!;
    this.opTopics = g >= 0 ? this.groupTopics[g]! : null;
    this.opLastTopic = -1;
  }
  pollItem(id: number, topic: number, key: number, part: number, offset: number): void {
    if (topic >= 0) {
      if (this.idTopic.data[id]! < 0) this.idTopic.data[id] = topic;
      if (topic !== this.opLastTopic && this.opTopics !== null) {
        this.opTopics.add(topic);
        this.opLastTopic = topic;
      }
    }
    if (key >= 0 && this.idKey.data[id]! < 0) this.idKey.data[id] = key;
    this.opUncommitted.push(this.deliveries.push(id, this.opProc, part, offset, this.opLine));
  }

  // --- commit -------------------------------------------------------------------------------
  beginCommit(proc: number, group: number, line: number): void {
    this.opProc = proc;
    this.opLine = line;
    this.joinGroup(proc, group);
    this.commitParts.length = 0;
    this.commitOffsets.length = 0;
    this.commitIds.length = 0;
  }
  commitOffset(part: number, offset: number): void {
    this.commitParts.push(part);
    this.commitOffsets.push(offset);
  }
  commitId(id: number): void {
    this.commitIds.push(id);
  }
  /** Marks the process's uncommitted deliveries this commit covers as processed. */
  endCommit(): void {
    const list = this.uncommitted.get(this.opProc);
    if (list === undefined || list.length === 0) return;
    const dPart = this.deliveries.part.data;
    const dOff = this.deliveries.offset.data;
    const dId = this.deliveries.id.data;
    this.processed.resize(this.deliveries.id.length, 0);
    const processed = this.processed.data;
    const ids = this.commitIds.length > 0 ? new Set(this.commitIds) : null;
    // Committed offset by partition (NaN: not in this commit, so no comparison holds).
    const nParts = this.partTopic.length;
    if (this.committedByPart.length < nParts)
      this.committedByPart = new Float64Array(nParts * 2).fill(Number.NaN);
    const committed = this.committedByPart;
    for (let i = 0; i < this.commitParts.length; i++)
      committed[this.commitParts[i]!] = this.commitOffsets[i]!;
    let kept = 0;
    for (const d of list) {
      const covered = ids !== null ? ids.has(dId[d]!) : dPart[d]! >= 0 && dOff[d]! < committed[dPart[d]!]!;
      if (covered) processed[d] = 1;
      else list[kept++] = d;
    }
    list.length = kept;
    for (const p of this.commitParts) committed[p] = Number.NaN;
  }

  // --- assign, crash, drain -----------------------------------------------------------------
  beginAssign(proc: number, group: number, line: number): void {
    this.opProc = proc;
    this.joinGroup(proc, group);
    this.uncommitted.delete(proc);
    this.resetProc.push(proc);
    this.resetLine.push(line);
  }
  assignPartition(part: number): void {
    const g = this.processGroup.data[this.opProc]!;
    if (g >= 0) this.groupTopics[g]!.add(this.partTopic.data[part]!);
  }
  crash(proc: number, line: number): void {
    this.settle(proc, SEND.unknown);
    this.uncommitted.delete(proc);
    this.resetProc.push(proc);
    this.resetLine.push(line);
  }
  drain(group: number, line: number, complete: boolean): void {
    if (complete && this.groupDrained.data[group] === 0) this.groupDrained.data[group] = line;
  }
  private joinGroup(proc: number, group: number): void {
    if (group < 0) return;
    const pg = this.processGroup.data;
    if (pg[proc] === -1) pg[proc] = group;
    else if (pg[proc] !== group)
      this.warn(
        `process ${this.processes.names[proc]} appears in groups ${this.groups.names[pg[proc]!]} and ` +
          `${this.groups.names[group]}; it is counted in the first`,
      );
  }
  warn(message: string): void {
    if (this.warnings.length < 100 && !this.warnings.includes(message)) this.warnings.push(message);
  }

  finish(): HistoryIndex {
    for (const proc of [...this.outstanding.keys()]) this.settle(proc, SEND.unknown);
    const nIds = this.ids.size;
    this.processed.resize(this.deliveries.id.length, 0);
    // Deps as CSR, by counting.
    const depStart = new Int32Array(nIds + 1);
    const from = this.depFrom.view();
    const to = this.depTo.view();
    for (let i = 0; i < from.length; i++) depStart[from[i]! + 1]!++;
    for (let i = 0; i < nIds; i++) depStart[i + 1]! += depStart[i]!;
    const fill = depStart.slice(0, nIds);
    const depIds = new Int32Array(from.length);
    for (let i = 0; i < from.length; i++) depIds[fill[from[i]!]!++] = to[i]!;
    const deliveries = this.deliveries.freeze();
    return {
      lines: this.lines,
      model: this.model,
      metaExpect: this.metaExpect,
      warnings: this.warnings,
      ids: this.ids,
      processNames: this.processes.names,
      processGroup: this.processGroup.view(),
      groupNames: this.groups.names,
      groupDrainedLine: this.groupDrained.view(),
      groupTopics: this.groupTopics,
      topicNames: this.topics.names,
      partTopic: this.partTopic.view(),
      partNumber: this.partNumber.view(),
      idStatus: this.idStatus.view().subarray(0, nIds),
      idSendLine: this.idSendLine.view().subarray(0, nIds),
      idAckLine: this.idAckLine.view().subarray(0, nIds),
      idTopic: this.idTopic.view().subarray(0, nIds),
      idKey: this.idKey.view().subarray(0, nIds),
      depStart,
      depIds,
      keyNames: this.keys.names,
      idProps: this.idProps.view().subarray(0, nIds),
      propsList: this.props.names.map((json) => ({ properties: JSON.parse(json) as Properties, json })),
      groupPredicates: this.groups.names.map((g) => this.predicates.get(g) ?? null),
      sends: { id: this.sendId.view(), proc: this.sendProc.view(), line: this.sendLine.view() },
      acks: this.acks.freeze(),
      deliveries: { ...deliveries, processed: this.processed.view().subarray(0, deliveries.length) },
      resets: { proc: this.resetProc.view(), line: this.resetLine.view() },
    };
  }
}
