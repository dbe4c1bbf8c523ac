/**
 * Writes a large valid history straight to disk (never held in memory): `messages` messages
 * sent in batches by one producer per partition, every batch acknowledged, consumed by
 * `groups` groups of `consumersPerGroup` consumers that poll after every round of sends and
 * commit after every poll, then drained. The shape of a runner-written history.
 */
import { closeSync, openSync, writeSync } from "node:fs";

export interface BenchHistoryShape {
  readonly messages: number;
  readonly partitions: number;
  readonly batch: number;
  readonly groups: number;
  readonly consumersPerGroup: number;
  readonly keys: number;
}

export interface BenchHistoryStats {
  readonly lines: number;
  readonly bytes: number;
  /** Message entries on send invoke, send ok and poll lines. */
  readonly messageEntries: number;
}

export function writeBenchHistory(path: string, shape: BenchHistoryShape): BenchHistoryStats {
  const fd = openSync(path, "w");
  let buf = "";
  let bytes = 0;
  let lines = 0;
  let entries = 0;
  let time = 0;
  const tick = () => {
    time += 1000;
    return time;
  };
  const put = (line: string) => {
    buf += line;
    buf += "\n";
    lines++;
    if (buf.length > 1 << 22) flush();
  };
  const flush = () => {
    bytes += writeSync(fd, buf);
    buf = "";
  };
  const { partitions: P, batch, groups: G, consumersPerGroup: C } = shape;
  put(
    JSON.stringify({
      type: "ok",
      f: "meta",
      value: {
        format: 1,
        adapter: "bench",
        workload: "checkers-bench",
        model: "log",
        expect: { delivery: "exactly-once", order: "partition" },
      },
    }),
  );
  // Producer p+1 writes partition p; consumer c of a group owns partitions p with p % C === c.
  const consumerProc = (g: number, c: number) => 1000 + g * C + c;
  for (let g = 0; g < G; g++)
    for (let c = 0; c < C; c++) {
      const partitions = [];
      for (let p = c; p < P; p += C) partitions.push(`{"topic":"bench","partition":${p}}`);
      put(
        `{"type":"ok","f":"assign","process":${consumerProc(g, c)},"group":"g${g}","time":${tick()},` +
          `"value":{"partitions":[${partitions.join(",")}],"from":"committed"}}`,
      );
    }
  const written = new Array<number>(P).fill(0); // next offset per partition
  const read = Array.from({ length: G }, () => new Array<number>(P).fill(0));
  const idOf = (p: number, offset: number) => `${p + 1}-${offset}`;
  const keyOf = (p: number, offset: number) =>
    `k${p + P * (offset % Math.max(1, Math.floor(shape.keys / P)))}`;
  let sent = 0;
  while (sent < shape.messages) {
    for (let p = 0; p < P && sent < shape.messages; p++) {
      const n = Math.min(batch, shape.messages - sent);
      const proc = p + 1;
      const inv: string[] = [];
      const ok: string[] = [];
      for (let i = 0; i < n; i++) {
        const off = written[p]! + i;
        const head = `{"id":"${idOf(p, off)}","topic":"bench","key":"${keyOf(p, off)}"`;
        inv.push(`${head}}`);
        ok.push(`${head},"partition":${p},"offset":${off}}`);
      }
      put(`{"type":"invoke","f":"send","process":${proc},"time":${tick()},"value":[${inv.join(",")}]}`);
      put(`{"type":"ok","f":"send","process":${proc},"time":${tick()},"value":[${ok.join(",")}]}`);
      written[p]! += n;
      sent += n;
      entries += 2 * n;
    }
    for (let g = 0; g < G; g++)
      for (let c = 0; c < C; c++) {
        const proc = consumerProc(g, c);
        const value: string[] = [];
        const commits: string[] = [];
        for (let p = c; p < P; p += C) {
          for (let off = read[g]![p]!; off < written[p]!; off++)
            value.push(
              `{"id":"${idOf(p, off)}","topic":"bench","partition":${p},"offset":${off},"redelivered":false}`,
            );
          entries += written[p]! - read[g]![p]!;
          read[g]![p] = written[p]!;
          commits.push(`{"topic":"bench","partition":${p},"offset":${written[p]}}`);
        }
        if (value.length === 0) continue;
        put(
          `{"type":"ok","f":"poll","process":${proc},"group":"g${g}","time":${tick()},"value":[${value.join(",")}]}`,
        );
        put(
          `{"type":"ok","f":"commit","process":${proc},"group":"g${g}","time":${tick()},"value":[${commits.join(",")}]}`,
        );
      }
  }
  for (let g = 0; g < G; g++) {
    put(`{"type":"ok","f":"drain","group":"g${g}","time":${tick()}}`);
    put(`{"type":"ok","f":"drain","group":"g${g}","time":${tick()},"value":{"complete":true}}`);
  }
  flush();
  closeSync(fd);
  return { lines, bytes, messageEntries: entries };
}
