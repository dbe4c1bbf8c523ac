/**
 * Where the broker gets its partition logs. The broker keeps *all* of its state in logs obtained
 * here — the topics' partitions and its internal logs (`__cluster`: topics, producer ids,
 * transactions; `__consumer_offsets`: committed offsets) — and rebuilds everything by scanning them
 * on open. A file-backed factory therefore makes the whole broker durable without other changes.
 */
import type { PartitionLog } from "../storage/partition-log.js";

/** How the broker uses a log, for what the factory keeps around for it. */
export interface LogUse {
  /**
   * false: nobody reads this log's tail while it is written (the broker's internal logs, scanned
   * on open only), so a factory keeps no read cache for it. Default true.
   */
  readonly tailReads?: boolean;
}

export interface LogFactory {
  /** Opens the log of one partition, creating it empty when it does not exist yet. */
  open(topic: string, partition: number, use?: LogUse): Promise<PartitionLog>;
  /** Deletes one partition's log and its data (the broker closed its handle first). */
  remove(topic: string, partition: number): Promise<void>;
}
