/**
 * A simulated correct (exactly-once) pipeline's history, for property tests of the computation
 * checker: producers write keyed numeric events to the input topic, a processor keeps per-key
 * count/sum/avg and writes each update to the output topic, committing input offsets with the
 * output; a crash mid-batch loses the uncommitted batch's outputs (never in the log) and the next
 * processor restores from the committed output and reprocesses from the committed offset; a
 * verifier reads the output and drains.
 */
import type { PipelineMeta } from "../../core/history/computation.js";

export type Rec = Record<string, unknown>;

export interface PipelineSimParams {
  readonly seed: number;
  readonly keys: number;
  readonly partitions: number;
  readonly events: number;
  /** Per processed batch: the chance that the processor crashes before committing it. */
  readonly crashRate: number;
}

export const SIM_PIPELINE: PipelineMeta = { input: "in", output: "out", verifier: "v", mode: "exactly-once" };

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function simulatePipeline(p: PipelineSimParams): Rec[] {
  const random = rng(p.seed);
  const recs: Rec[] = [];
  let time = 0;
  const push = (r: Rec) => recs.push({ ...r, time: ++time });
  push({ type: "ok", f: "meta", value: { format: 1, model: "log", pipeline: SIM_PIPELINE } });
  const keyOf = (i: number) => `k${i % p.keys}`;
  const partitionOf = (key: string) => Number(key.slice(1)) % p.partitions;
  // Input: one producer, batches of up to 5.
  const inputLog: { id: string; key: string; num: number }[][] = Array.from(
    { length: p.partitions },
    () => [],
  );
  let seq = 0;
  while (seq < p.events) {
    const n = Math.min(1 + Math.floor(random() * 5), p.events - seq);
    const msgs = Array.from({ length: n }, (_, j) => {
      const key = keyOf(Math.floor(random() * p.keys));
      return { id: `1-${seq + j}`, topic: "in", key, num: Math.round(random() * 1000) / 10 };
    });
    seq += n;
    push({ type: "invoke", f: "send", process: 1, value: msgs });
    const acked = msgs.map((m) => {
      const partition = partitionOf(m.key);
      inputLog[partition]!.push({ id: m.id, key: m.key, num: m.num });
      return { ...m, partition, offset: inputLog[partition]!.length - 1 };
    });
    push({ type: "ok", f: "send", process: 1, value: acked });
  }
  // Processing: per partition in turn, batches; state restored from the committed outputs.
  const outputLog: Rec[][] = Array.from({ length: p.partitions }, () => []);
  const committed = new Array<number>(p.partitions).fill(0);
  const state = new Map<string, { count: number; sum: number }>();
  let process = 100;
  let outSeq = 0;
  let crashes = 0;
  for (let part = 0; part < p.partitions; part++) {
    while (committed[part]! < inputLog[part]!.length) {
      const from = committed[part]!;
      const batch = inputLog[part]!.slice(from, from + 1 + Math.floor(random() * 4));
      push({ type: "invoke", f: "poll", process, group: "proc" });
      push({
        type: "ok",
        f: "poll",
        process,
        group: "proc",
        value: batch.map((m, j) => ({
          id: m.id,
          topic: "in",
          partition: part,
          offset: from + j,
          redelivered: false,
        })),
      });
      const next = new Map(state);
      const outs = batch.map((m) => {
        const s = next.get(m.key) ?? { count: 0, sum: 0 };
        const u = { count: s.count + 1, sum: s.sum + m.num };
        next.set(m.key, u);
        return {
          id: `${process}-${outSeq++}`,
          topic: "out",
          key: m.key,
          agg: { count: u.count, sum: u.sum, avg: u.sum / u.count, input: m.id },
        };
      });
      push({ type: "invoke", f: "send", process, value: outs });
      if (crashes < 3 && random() < p.crashRate) {
        // The transaction never commits: its outputs are not in the log, the offsets not moved.
        crashes++;
        push({ type: "info", f: "crash", process });
        process++;
        continue;
      }
      const acked = outs.map((o) => {
        outputLog[part]!.push(o);
        return { ...o, partition: part, offset: outputLog[part]!.length - 1 };
      });
      push({ type: "ok", f: "send", process, value: acked });
      committed[part] = from + batch.length;
      push({
        type: "ok",
        f: "commit",
        process,
        group: "proc",
        value: [{ topic: "in", partition: part, offset: committed[part] }],
      });
      for (const [k, v] of next) state.set(k, v);
    }
  }
  // The verifier reads every output partition, in chunks.
  const verifier = 999;
  push({ type: "ok", f: "drain", group: "v" });
  for (let part = 0; part < p.partitions; part++) {
    const log = outputLog[part]!;
    for (let i = 0; i < log.length; i += 7) {
      push({ type: "invoke", f: "poll", process: verifier, group: "v" });
      push({
        type: "ok",
        f: "poll",
        process: verifier,
        group: "v",
        value: log.slice(i, i + 7).map((o, j) => ({
          id: o.id,
          topic: "out",
          partition: part,
          offset: i + j,
          redelivered: false,
        })),
      });
    }
  }
  push({ type: "ok", f: "drain", group: "v", value: { complete: true } });
  return recs;
}
