/**
 * Mutations of a pipeline's history (simulated or recorded by a real run), each the trace of one
 * way a streaming computation goes wrong, for the computation checker's tests. Each returns a
 * mutated copy, or null when the history has nothing it applies to.
 */
import type { Aggregate, PipelineMeta } from "../../core/history/computation.js";

export type Rec = Record<string, unknown>;
interface Msg {
  id: string;
  topic: string;
  key?: string | null;
  partition?: number;
  offset?: number | null;
  num?: number;
  agg?: Aggregate;
}

const messages = (r: Rec): Msg[] => (Array.isArray(r.value) ? (r.value as Msg[]) : []);

/** Outputs in the output log (acknowledged), by key in log order. */
function outputsByKey(recs: readonly Rec[], p: PipelineMeta): Map<string, Msg[]> {
  const seen = new Set<string>();
  const all: Msg[] = [];
  for (const r of recs) {
    if (r.f !== "send" || r.type !== "ok") continue;
    for (const m of messages(r)) {
      if (m.topic !== p.output || m.agg === undefined || typeof m.offset !== "number" || seen.has(m.id))
        continue;
      seen.add(m.id);
      all.push(m);
    }
  }
  all.sort((a, b) => a.partition! - b.partition! || a.offset! - b.offset!);
  const byKey = new Map<string, Msg[]>();
  for (const m of all) {
    const k = String(m.key);
    byKey.set(k, [...(byKey.get(k) ?? []), m]);
  }
  return byKey;
}

const inputNum = (recs: readonly Rec[], p: PipelineMeta, id: string): number => {
  for (const r of recs)
    for (const m of messages(r))
      if (m.topic === p.input && m.id === id && typeof m.num === "number") return m.num;
  throw new Error(`input ${id} has no value`);
};

/** Rewrites the aggregate of the given outputs on every line that carries it. */
function reaggregate(recs: Rec[], ids: ReadonlySet<string>, change: (a: Aggregate) => Aggregate): void {
  for (const r of recs)
    for (const m of messages(r)) if (m.agg !== undefined && ids.has(m.id)) m.agg = change(m.agg);
}

const pickKey = (byKey: Map<string, Msg[]>, pick: number, min: number): Msg[] | null => {
  const keys = [...byKey.values()].filter((l) => l.length >= min);
  return keys.length === 0 ? null : keys[pick % keys.length]!;
};

/** One input of a key is counted twice from its update on: that update and every later one count it again. */
export function doubleAnInput(recs: readonly Rec[], p: PipelineMeta, pick: number): Rec[] | null {
  const out = structuredClone(recs) as Rec[];
  const list = pickKey(outputsByKey(out, p), pick, 1);
  if (list === null) return null;
  const at = pick % list.length;
  const num = inputNum(out, p, list[at]!.agg!.input);
  const ids = new Set(list.slice(at).map((m) => m.id));
  reaggregate(out, ids, (a) => ({
    ...a,
    count: a.count + 1,
    sum: a.sum + num,
    avg: (a.sum + num) / (a.count + 1),
  }));
  return out;
}

/** The processor skips one input's update: its output is gone and later updates leave it out. */
export function skipAnInput(recs: readonly Rec[], p: PipelineMeta, pick: number): Rec[] | null {
  const out = structuredClone(recs) as Rec[];
  const list = pickKey(outputsByKey(out, p), pick, 2);
  if (list === null) return null;
  const at = pick % (list.length - 1);
  const num = inputNum(out, p, list[at]!.agg!.input);
  const ids = new Set(list.slice(at + 1).map((m) => m.id));
  reaggregate(out, ids, (a) => ({
    ...a,
    count: a.count - 1,
    sum: a.sum - num,
    avg: (a.sum - num) / (a.count - 1),
  }));
  return dropIds(out, new Set([list[at]!.id]));
}

/** A key's last output never reached the log (its send and every delivery of it removed). */
export function dropLastOutput(recs: readonly Rec[], p: PipelineMeta, pick: number): Rec[] | null {
  const list = pickKey(outputsByKey(recs, p), pick, 1);
  if (list === null) return null;
  return dropIds(structuredClone(recs) as Rec[], new Set([list[list.length - 1]!.id]));
}

function dropIds(recs: Rec[], ids: ReadonlySet<string>): Rec[] {
  const out: Rec[] = [];
  for (const r of recs) {
    if (!Array.isArray(r.value)) {
      out.push(r);
      continue;
    }
    const kept = messages(r).filter((m) => !ids.has(m.id));
    if (kept.length > 0) out.push({ ...r, value: kept });
    else if (r.f === "poll" && r.type === "ok") out.push({ ...r, value: [] });
    // A send of nothing but dropped outputs goes with its invoke; a poll keeps its (empty) answer.
  }
  return out;
}

/** Two updates of one key change places in the output log: the later (higher) value comes first. */
export function reorderAKey(recs: readonly Rec[], p: PipelineMeta, pick: number): Rec[] | null {
  const out = structuredClone(recs) as Rec[];
  const list = pickKey(outputsByKey(out, p), pick, 2);
  if (list === null) return null;
  const i = pick % (list.length - 1);
  const a = list[i]!;
  const b = list[i + 1 + ((pick >> 3) % (list.length - 1 - i))]!;
  const pa = { partition: a.partition, offset: a.offset };
  const pb = { partition: b.partition, offset: b.offset };
  for (const r of out) {
    for (const m of messages(r)) {
      if (m.topic !== p.output || m.offset === undefined) continue;
      if (m.id === a.id) Object.assign(m, pb);
      else if (m.id === b.id) Object.assign(m, pa);
    }
  }
  return out;
}

/**
 * An output the verifier read belonged to an aborted transaction: every send of it failed (the
 * send's `ok` line becomes a `fail` line of the same messages, without positions).
 */
export function readAnAbortedOutput(recs: readonly Rec[], p: PipelineMeta, pick: number): Rec[] | null {
  const read = new Set<string>();
  for (const r of recs)
    if (r.f === "poll" && r.type === "ok" && r.group === p.verifier)
      for (const m of messages(r)) read.add(m.id);
  const list = pickKey(outputsByKey(recs, p), pick, 1);
  const victim = list?.find((m) => read.has(m.id));
  if (victim === undefined) return null;
  const out = structuredClone(recs) as Rec[];
  for (let i = 0; i < out.length; i++) {
    const r = out[i]!;
    if (r.f !== "send" || r.type !== "ok" || !messages(r).some((m) => m.id === victim.id)) continue;
    out[i] = {
      ...r,
      type: "fail",
      value: messages(r).map(({ partition: _p, offset: _o, ...m }) => m),
      error: "transaction aborted",
    };
  }
  return out;
}
