/** Test helpers: brokers over memory logs with a manual clock and no timer. */
import { MemoryLogFactory } from "../../storage/memory-log-factory.js";
import type { RecordInput } from "../../storage/partition-log.js";
import { Broker, type BrokerOptions } from "../broker.js";
import type { LogFactory } from "../log-factory.js";
import { forEachRecord, type PartitionRecords } from "../partition.js";

export class ManualClock {
  ms = 0;
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export async function openBroker(
  logs: LogFactory = new MemoryLogFactory(),
  clock = new ManualClock(),
  options: Partial<BrokerOptions> = {},
) {
  const broker = await Broker.open({ logs, clock, tickMs: 0, ...options });
  return { broker, logs, clock };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function recs(...values: string[]): RecordInput[] {
  return values.map((v) => ({ key: null, payload: enc.encode(v) }));
}

export function range(prefix: string, from: number, to: number): RecordInput[] {
  const out: RecordInput[] = [];
  for (let i = from; i < to; i++) out.push({ key: null, payload: enc.encode(`${prefix}${i}`) });
  return out;
}

/** The records of an answer as `offset:value` strings. */
export function values(r: PartitionRecords): string[] {
  const out: string[] = [];
  forEachRecord(r, (rec) => out.push(`${rec.offset}:${dec.decode(rec.payload)}`));
  return out;
}

export function text(payload: Uint8Array): string {
  return dec.decode(payload);
}
