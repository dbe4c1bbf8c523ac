/**
 * A small correct log broker, simulated, and the history its clients would record: several
 * producers (each writing one partition, so a producer's order is a partition's order), several
 * consumer groups, commits, rebalances and consumer crashes with redelivery from the last commit
 * (at-least-once delivery, exactly-once processing), unknown send outcomes, and a final drain.
 */
export type Rec = Record<string, unknown> & { type: string; f: string; value?: unknown };

export interface SimParams {
  readonly seed: number;
  readonly producers: number;
  readonly partitions: number;
  readonly groups: number;
  readonly consumersPerGroup: number;
  readonly steps: number;
}

interface Msg {
  readonly id: string;
  readonly key: string;
}
interface Consumer {
  proc: number;
  assigned: number[];
  pos: number[];
}
interface Group {
  readonly name: string;
  readonly committed: number[];
  consumers: Consumer[];
}

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

export function simulate(p: SimParams): Rec[] {
  const rand = rng(p.seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const out: Rec[] = [];
  let time = 0;
  const emit = (r: Rec) => {
    time += 1000;
    out.push({ ...r, time });
  };
  emit({
    type: "ok",
    f: "meta",
    value: { format: 1, model: "log", expect: { delivery: "exactly-once", order: "partition" } },
  });
  const logs: Msg[][] = Array.from({ length: p.partitions }, () => []);
  const seq = new Array<number>(p.producers).fill(0);
  // A producer whose send ended in `info` is never used again: its slot gets a new process.
  const prodProc = Array.from({ length: p.producers }, (_, i) => i + 1);
  let nextProc = 100;
  const groups: Group[] = Array.from({ length: p.groups }, (_, g) => ({
    name: `g${g}`,
    committed: new Array<number>(p.partitions).fill(0),
    consumers: Array.from({ length: p.consumersPerGroup }, () => ({
      proc: nextProc++,
      assigned: [],
      pos: [],
    })),
  }));
  const item = (m: Msg, part?: number, offset?: number) => ({
    id: m.id,
    topic: "t",
    key: m.key,
    ...(part === undefined ? {} : { partition: part, offset }),
  });

  const rebalance = (g: Group) => {
    g.consumers.forEach((c, i) => {
      c.assigned = [];
      for (let part = 0; part < p.partitions; part++)
        if (part % g.consumers.length === i) c.assigned.push(part);
      c.pos = [...g.committed];
      const partitions = c.assigned.map((partition) => ({ topic: "t", partition }));
      emit({
        type: "ok",
        f: "assign",
        process: c.proc,
        group: g.name,
        value: { partitions, from: "committed" },
      });
    });
  };
  const pollOnce = (g: Group, c: Consumer, max: number): boolean => {
    const value: unknown[] = [];
    for (const part of c.assigned) {
      const log = logs[part]!;
      for (let k = 0; k < max && c.pos[part]! < log.length; k++) {
        const off = c.pos[part]!;
        value.push({ ...item(log[off]!, part, off), redelivered: false });
        c.pos[part] = off + 1;
      }
    }
    if (value.length > 0) emit({ type: "ok", f: "poll", process: c.proc, group: g.name, value });
    return value.length > 0;
  };
  const commit = (g: Group, c: Consumer) => {
    if (c.assigned.length === 0) return;
    const value = c.assigned.map((partition) => ({ topic: "t", partition, offset: c.pos[partition] }));
    emit({ type: "ok", f: "commit", process: c.proc, group: g.name, value });
    for (const part of c.assigned) g.committed[part] = c.pos[part]!;
  };

  for (const g of groups) rebalance(g);
  for (let step = 0; step < p.steps; step++) {
    const r = rand();
    if (r < 0.45) {
      const prod = pick(p.producers);
      const proc = prodProc[prod]!;
      const part = prod % p.partitions;
      const batch: Msg[] = [];
      for (let k = 1 + pick(3); k > 0; k--)
        batch.push({ id: `${proc}-${seq[prod]!++}`, key: `k${proc}-${pick(3)}` });
      emit({ type: "invoke", f: "send", process: proc, value: batch.map((m) => item(m)) });
      const outcome = rand();
      if (outcome < 0.85) {
        const acked = batch.map((m) => {
          logs[part]!.push(m);
          return item(m, part, logs[part]!.length - 1);
        });
        emit({ type: "ok", f: "send", process: proc, value: acked });
      } else if (outcome < 0.93) {
        emit({ type: "fail", f: "send", process: proc, value: batch.map((m) => item(m)) });
      } else {
        // Unknown outcome: the broker may or may not have written it.
        if (rand() < 0.5) for (const m of batch) logs[part]!.push(m);
        emit({ type: "info", f: "send", process: proc, value: batch.map((m) => item(m)) });
        prodProc[prod] = nextProc++;
        seq[prod] = 0;
      }
    } else if (r < 0.75) {
      const g = groups[pick(groups.length)]!;
      pollOnce(g, g.consumers[pick(g.consumers.length)]!, 1 + pick(3));
    } else if (r < 0.9) {
      const g = groups[pick(groups.length)]!;
      commit(g, g.consumers[pick(g.consumers.length)]!);
    } else if (r < 0.95) {
      rebalance(groups[pick(groups.length)]!);
    } else {
      const g = groups[pick(groups.length)]!;
      const i = pick(g.consumers.length);
      emit({ type: "info", f: "crash", process: g.consumers[i]!.proc });
      g.consumers[i] = { proc: nextProc++, assigned: [], pos: [] };
      rebalance(g);
    }
  }
  for (const g of groups) {
    emit({ type: "ok", f: "drain", group: g.name });
    for (const c of g.consumers) {
      while (pollOnce(g, c, 5)) commit(g, c);
    }
    emit({ type: "ok", f: "drain", group: g.name, value: { complete: true } });
  }
  return out;
}
