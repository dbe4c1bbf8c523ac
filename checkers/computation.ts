/**
 * The computation checker: is a streaming pipeline's output the running aggregate of its input,
 * each event counted once? Pure over the history (docs/HISTORY.md, "Streaming computations"), like
 * the other checkers: it recomputes every aggregate from the input events the history recorded.
 *
 * Per key, the input sequence is the key's distinct input ids in log order (first position in the
 * input topic, from acks and deliveries). An output `agg` for input `i` is correct when its count
 * is rank(i) + 1 and its sum and average are those of that prefix. Then:
 *
 *   double-counted  an output counts more inputs than the prefix up to its input (an event counted
 *                   again: reprocessed after a crash, or written twice to the input log)
 *   missed          an output counts fewer (an event skipped), or after the verifier's complete
 *                   drain a key's last value leaves acknowledged inputs uncounted
 *   wrong-aggregate the count is right but the sum or average is not that prefix's
 *   regressed       in one key's output log order, a value counts fewer inputs than an earlier one
 *   aborted-read    an output was delivered although every send of it failed (an aborted transaction)
 *
 * Each output in the output log (acknowledged or delivered) is judged once, whoever wrote it; the
 * counts are outputs (or keys, for the final check), the witnesses name the history lines.
 * O(lines + outputs log outputs).
 */
import { type Aggregate, type PipelineMeta, sameSum } from "../core/history/computation.js";

export const COMPUTATION_ANOMALIES = [
  "double-counted",
  "missed",
  "wrong-aggregate",
  "regressed",
  "aborted-read",
] as const;
export type ComputationAnomaly = (typeof COMPUTATION_ANOMALIES)[number];

/** What each processing mode promises: the anomalies it forbids (the rest are reported, allowed). */
export const FORBIDDEN_BY_MODE: Readonly<Record<string, readonly ComputationAnomaly[]>> = {
  "exactly-once": COMPUTATION_ANOMALIES,
  // Reprocessing after a crash double-counts, and an unfenced old owner's late writes can go back.
  "at-least-once": ["missed", "wrong-aggregate", "aborted-read"],
  // Committing before processing skips what a crash interrupts; nothing is counted twice.
  "at-most-once": ["double-counted", "wrong-aggregate", "aborted-read"],
};

export interface ComputationWitness {
  readonly message: string;
  /** 1-based history line numbers. */
  readonly lines: readonly number[];
}

export interface ComputationVerdict {
  readonly pipeline: PipelineMeta;
  /** No anomaly the mode forbids occurred (and something was judged). */
  readonly valid: boolean;
  readonly forbidden: readonly ComputationAnomaly[];
  readonly counts: Readonly<Record<ComputationAnomaly, number>>;
  readonly witnesses: Readonly<Record<ComputationAnomaly, readonly ComputationWitness[]>>;
  /** Distinct input events in the input log, and keys they carry. */
  readonly inputs: number;
  readonly keys: number;
  /** Outputs judged (in the output log). */
  readonly outputs: number;
  /** The verifier group's drain completed: the final values were judged. */
  readonly drained: boolean;
  /** Over keys, after the drain: inputs the final values count beyond / short of the input log. */
  readonly excessEvents: number;
  readonly missingEvents: number;
}

interface Position {
  readonly partition: number;
  readonly offset: number;
}

interface InputEvent {
  readonly id: string;
  readonly key: string | null;
  readonly num: number;
  readonly line: number;
  first: Position | null;
  /** Distinct input log positions it was seen at (more than one: written twice). */
  readonly seen: Set<string>;
  rank: number;
}

interface OutputMessage {
  readonly id: string;
  readonly key: string | null;
  readonly agg: Aggregate;
  readonly line: number;
  position: Position | null;
  oks: number;
  fails: number;
  unknown: number;
  /** Line of a delivery to any group (aborted-read witness), and of the verifier's last one. */
  deliveredLine: number;
  verifierLine: number;
}

interface Line {
  readonly type?: unknown;
  readonly f?: unknown;
  readonly process?: unknown;
  readonly group?: unknown;
  readonly value?: unknown;
}

interface Msg {
  readonly id?: unknown;
  readonly topic?: unknown;
  readonly key?: unknown;
  readonly partition?: unknown;
  readonly offset?: unknown;
  readonly num?: unknown;
  readonly agg?: unknown;
}

const WITNESSES = 5;

const isAggregate = (a: unknown): a is Aggregate =>
  typeof a === "object" &&
  a !== null &&
  typeof (a as Aggregate).count === "number" &&
  typeof (a as Aggregate).sum === "number" &&
  typeof (a as Aggregate).avg === "number" &&
  typeof (a as Aggregate).input === "string";

const positionOf = (m: Msg): Position | null =>
  typeof m.partition === "number" && typeof m.offset === "number"
    ? { partition: m.partition, offset: m.offset }
    : null;

const before = (a: Position, b: Position) =>
  a.partition !== b.partition ? a.partition < b.partition : a.offset < b.offset;

/** The pipeline a history's meta line declares, or null (not a pipeline's history). */
export function pipelineOf(lines: readonly string[]): PipelineMeta | null {
  const first = lines.find((l) => l.trim() !== "");
  if (first === undefined) return null;
  let meta: Line;
  try {
    meta = JSON.parse(first) as Line;
  } catch {
    return null; // not JSON: the other checkers say where
  }
  if (meta.f !== "meta") return null;
  const p = (meta.value as { pipeline?: unknown } | undefined)?.pipeline as PipelineMeta | undefined;
  if (p === undefined || typeof p.input !== "string" || typeof p.output !== "string") return null;
  return p;
}

/**
 * Judges a pipeline's history (JSON lines, the meta line first). Returns null when the history
 * declares no pipeline. `mode` overrides the meta's processing mode.
 */
export function checkComputation(lines: readonly string[], mode?: string): ComputationVerdict | null {
  const pipeline = pipelineOf(lines);
  if (pipeline === null) return null;
  const inputs = new Map<string, InputEvent>();
  const outputs = new Map<string, OutputMessage>();
  const groupOf = new Map<unknown, unknown>();
  let drained = false;

  const place = (x: InputEvent | OutputMessage, p: Position | null) => {
    if (p === null) return;
    if ("seen" in x) {
      // An input at a second position is a duplicate write: ranked by its first.
      const at = `${p.partition}:${p.offset}`;
      if (x.seen.has(at)) return;
      x.seen.add(at);
      if (x.first === null || before(p, x.first)) x.first = p;
    } else if (x.position === null) x.position = p;
  };

  lines.forEach((text, i) => {
    if (text.trim() === "") return;
    const line = i + 1;
    const r = JSON.parse(text) as Line;
    if (r.f === "drain" && r.group === pipeline.verifier) {
      if ((r.value as { complete?: unknown } | undefined)?.complete === true) drained = true;
      return;
    }
    if (r.f === "poll" && r.type === "invoke" && r.group !== undefined) groupOf.set(r.process, r.group);
    if ((r.f !== "send" && r.f !== "poll") || !Array.isArray(r.value)) return;
    const group = r.f === "poll" ? (r.group ?? groupOf.get(r.process)) : undefined;
    if (r.group !== undefined) groupOf.set(r.process, r.group);
    for (const m of r.value as Msg[]) {
      if (typeof m.id !== "string") continue;
      if (m.topic === pipeline.input) {
        let x = inputs.get(m.id);
        if (x === undefined && r.f === "send" && typeof m.num === "number") {
          x = {
            id: m.id,
            key: typeof m.key === "string" ? m.key : null,
            num: m.num,
            line,
            first: null,
            seen: new Set(),
            rank: -1,
          };
          inputs.set(m.id, x);
        }
        if (x !== undefined && (r.type === "ok" || r.f === "poll")) place(x, positionOf(m));
      } else if (m.topic === pipeline.output) {
        let o = outputs.get(m.id);
        if (o === undefined && r.f === "send" && isAggregate(m.agg)) {
          o = {
            id: m.id,
            key: typeof m.key === "string" ? m.key : null,
            agg: m.agg,
            line,
            position: null,
            oks: 0,
            fails: 0,
            unknown: 0,
            deliveredLine: 0,
            verifierLine: 0,
          };
          outputs.set(m.id, o);
        }
        if (o === undefined) continue;
        if (r.f === "send") {
          if (r.type === "ok") o.oks++;
          else if (r.type === "fail") o.fails++;
          else if (r.type === "info") o.unknown++;
        }
        if (r.type === "ok") place(o, positionOf(m));
        if (r.f === "poll" && r.type === "ok") {
          o.deliveredLine ||= line;
          if (group === pipeline.verifier) o.verifierLine = line;
        }
      }
    }
  });

  // Each key's input sequence: distinct ids in the log, by first position; prefix sums.
  const byKey = new Map<string | null, InputEvent[]>();
  for (const x of inputs.values()) {
    if (x.first === null) continue;
    let list = byKey.get(x.key);
    if (list === undefined) {
      list = [];
      byKey.set(x.key, list);
    }
    list.push(x);
  }
  const prefixSums = new Map<string | null, number[]>();
  for (const [key, list] of byKey) {
    list.sort((a, b) => (before(a.first!, b.first!) ? -1 : before(b.first!, a.first!) ? 1 : 0));
    const sums = [0];
    list.forEach((x, r) => {
      x.rank = r;
      sums.push(sums[r]! + x.num);
    });
    prefixSums.set(key, sums);
  }

  const counts = Object.fromEntries(COMPUTATION_ANOMALIES.map((a) => [a, 0])) as Record<
    ComputationAnomaly,
    number
  >;
  const witnesses = Object.fromEntries(COMPUTATION_ANOMALIES.map((a) => [a, []])) as unknown as Record<
    ComputationAnomaly,
    ComputationWitness[]
  >;
  const report = (a: ComputationAnomaly, w: () => ComputationWitness) => {
    counts[a]++;
    if (witnesses[a].length < WITNESSES) witnesses[a].push(w());
  };
  const show = (o: OutputMessage) =>
    `output ${o.id} (key ${o.key}: count ${o.agg.count}, sum ${o.agg.sum}, avg ${o.agg.avg}, after input ${o.agg.input})`;

  // Every output in the output log, per key in log order.
  const inLog: OutputMessage[] = [];
  for (const o of outputs.values()) {
    if (o.deliveredLine > 0 && o.fails > 0 && o.oks === 0 && o.unknown === 0) {
      report("aborted-read", () => ({
        message: `${show(o)} was delivered although its every send failed (an aborted transaction)`,
        lines: [o.line, o.deliveredLine],
      }));
    }
    if (o.position !== null) inLog.push(o);
  }
  inLog.sort((a, b) => (before(a.position!, b.position!) ? -1 : before(b.position!, a.position!) ? 1 : 0));

  const highest = new Map<string | null, OutputMessage>();
  const lastRead = new Map<string | null, OutputMessage>();
  for (const o of inLog) {
    const x = inputs.get(o.agg.input);
    const sums = prefixSums.get(o.key);
    if (x === undefined || x.rank < 0 || x.key !== o.key || sums === undefined) {
      report("wrong-aggregate", () => ({
        message: `${show(o)} names an input that is not an event of key ${o.key} in the input log`,
        lines: [o.line],
      }));
      continue;
    }
    const expected = x.rank + 1;
    const twice = x.seen.size > 1 ? ` (input ${x.id} is at ${x.seen.size} positions of the input log)` : "";
    if (o.agg.count > expected) {
      report("double-counted", () => ({
        message: `${show(o)} counts ${o.agg.count} inputs; ${x.id} is input ${expected} of key ${o.key}: ${o.agg.count - expected} counted twice${twice}`,
        lines: [x.line, o.line],
      }));
    } else if (o.agg.count < expected) {
      report("missed", () => ({
        message: `${show(o)} counts ${o.agg.count} inputs; ${x.id} is input ${expected} of key ${o.key}: ${expected - o.agg.count} not counted`,
        lines: [x.line, o.line],
      }));
    } else if (!sameSum(o.agg.sum, sums[expected]!) || !sameSum(o.agg.avg, o.agg.sum / o.agg.count)) {
      report("wrong-aggregate", () => ({
        message: `${show(o)}: the first ${expected} inputs of key ${o.key} sum to ${sums[expected]} (avg ${sums[expected]! / expected})`,
        lines: [x.line, o.line],
      }));
    }
    const top = highest.get(o.key);
    if (top !== undefined && o.agg.count < top.agg.count) {
      report("regressed", () => ({
        message: `${show(o)} comes after ${show(top)} in the output log: the value went back`,
        lines: [top.line, o.line],
      }));
    }
    if (top === undefined || o.agg.count > top.agg.count) highest.set(o.key, o);
    if (o.verifierLine > 0) lastRead.set(o.key, o);
  }

  // After the verifier's complete drain: every key's last value read covers all its inputs.
  let excessEvents = 0;
  let missingEvents = 0;
  if (drained) {
    for (const [key, list] of byKey) {
      const total = list.length;
      const last = lastRead.get(key);
      const counted = last?.agg.count ?? 0;
      if (counted > total) excessEvents += counted - total;
      if (counted < total) missingEvents += total - counted;
      const x = last === undefined ? undefined : inputs.get(last.agg.input);
      const after = last === undefined ? total : x === undefined || x.rank < 0 ? 0 : total - (x.rank + 1);
      if (after > 0) {
        const firstMissing = list[total - after]!;
        report("missed", () => ({
          message:
            last === undefined
              ? `key ${key}: ${total} inputs in the log, the verifier read no value after its drain`
              : `key ${key}: the verifier's final ${show(last)} leaves ${after} later inputs uncounted, from ${firstMissing.id}`,
          lines: last === undefined ? [firstMissing.line] : [firstMissing.line, last.verifierLine],
        }));
      }
    }
  }

  const forbidden = FORBIDDEN_BY_MODE[mode ?? pipeline.mode] ?? COMPUTATION_ANOMALIES;
  let judgedInputs = 0;
  for (const list of byKey.values()) judgedInputs += list.length;
  return {
    pipeline,
    valid: inLog.length > 0 && forbidden.every((a) => counts[a] === 0),
    forbidden,
    counts,
    witnesses,
    inputs: judgedInputs,
    keys: byKey.size,
    outputs: inLog.length,
    drained,
    excessEvents,
    missingEvents,
  };
}

/** One line per anomaly found, then its witnesses: for `brokerbench check` and the run log. */
export function formatComputation(v: ComputationVerdict): string {
  const out = [
    `computation (${v.pipeline.mode}): ${v.valid ? "VALID" : "INVALID"}: ${v.inputs} inputs over ${v.keys} keys, ${v.outputs} outputs judged` +
      (v.drained
        ? `; after the drain ${v.excessEvents} events counted beyond the input, ${v.missingEvents} short`
        : "; the verifier's drain did not complete (final values not judged)"),
  ];
  for (const a of COMPUTATION_ANOMALIES) {
    if (v.counts[a] === 0) continue;
    out.push(`  ${a}: ${v.counts[a]}${v.forbidden.includes(a) ? " (forbidden)" : " (allowed)"}`);
    for (const w of v.witnesses[a]) out.push(`    ${w.message} [lines ${w.lines.join(", ")}]`);
  }
  return out.join("\n");
}
