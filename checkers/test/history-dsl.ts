/**
 * Terse builders for hand-written histories in tests: each returns history lines (JSON text).
 * Positions are [id, partition, offset] on topic "t"; keyed messages add a fourth element.
 */
export type Pos = readonly [id: string, partition: number, offset: number | null, key?: string];

let clock = 0;
const line = (o: Record<string, unknown>) => {
  clock += 10;
  return JSON.stringify({ ...o, time: clock });
};

export function meta(delivery: string, order: string, model = "log"): string[] {
  return [line({ type: "ok", f: "meta", value: { format: 1, model, expect: { delivery, order } } })];
}

const item = ([id, partition, offset, key]: Pos, withPosition: boolean) => ({
  id,
  topic: "t",
  ...(key === undefined ? {} : { key }),
  ...(withPosition ? { partition, offset } : {}),
});

/** A send invoke and its acknowledgement. */
export function sendOk(process: number, msgs: readonly Pos[], deps?: readonly string[]): string[] {
  const invoke = msgs.map((m) => ({ ...item(m, false), ...(deps ? { deps } : {}) }));
  return [
    line({ type: "invoke", f: "send", process, value: invoke }),
    line({ type: "ok", f: "send", process, value: msgs.map((m) => item(m, true)) }),
  ];
}

export function sendFailed(process: number, ids: readonly string[], type: "fail" | "info"): string[] {
  const value = ids.map((id) => ({ id, topic: "t" }));
  return [line({ type: "invoke", f: "send", process, value }), line({ type, f: "send", process, value })];
}

export function poll(process: number, group: string, msgs: readonly Pos[]): string[] {
  return [line({ type: "ok", f: "poll", process, group, value: msgs.map((m) => item(m, true)) })];
}

export function commit(process: number, group: string, offsets: readonly [number, number][]): string[] {
  const value = offsets.map(([partition, offset]) => ({ topic: "t", partition, offset }));
  return [line({ type: "ok", f: "commit", process, group, value })];
}

export function ack(process: number, group: string, ids: readonly string[]): string[] {
  return [line({ type: "ok", f: "commit", process, group, value: { ids } })];
}

export function assign(
  process: number,
  group: string,
  partitions: readonly number[],
  from: unknown = "committed",
): string[] {
  const value = { partitions: partitions.map((partition) => ({ topic: "t", partition })), from };
  return [line({ type: "ok", f: "assign", process, group, value })];
}

export function crash(process: number): string[] {
  return [line({ type: "info", f: "crash", process })];
}

export function drain(group: string): string[] {
  return [
    line({ type: "ok", f: "drain", group }),
    line({ type: "ok", f: "drain", group, value: { complete: true } }),
  ];
}

export function history(...parts: readonly string[][]): string[] {
  return parts.flat();
}
