/**
 * LogFactory over memory logs. The data of every partition stays in the factory after its handle
 * is closed, so a second Broker opened on the same factory recovers what the first one wrote: a
 * restart without a disk.
 */
import type { LogFactory } from "../broker/log-factory.js";
import { MemoryLog, MemoryLogData, type MemoryLogOptions } from "./memory-log.js";
import type { PartitionLog } from "./partition-log.js";

export class MemoryLogFactory implements LogFactory {
  private readonly data = new Map<string, MemoryLogData>();
  private readonly options: MemoryLogOptions;

  constructor(options: MemoryLogOptions = {}) {
    this.options = options;
  }

  open(topic: string, partition: number): Promise<PartitionLog> {
    const key = `${topic}/${partition}`;
    let d = this.data.get(key);
    if (d === undefined) {
      d = new MemoryLogData();
      this.data.set(key, d);
    }
    return Promise.resolve(new MemoryLog(this.options, d));
  }

  remove(topic: string, partition: number): Promise<void> {
    this.data.delete(`${topic}/${partition}`);
    return Promise.resolve();
  }
}
