/**
 * The broker's LogFactory on disk: a data directory: one FileLog per partition in `<dataDir>/<topic>-<partition>/`
 * (the topic name percent-encoded so any name is a safe directory name), as Kafka lays it out.
 */
import fs from "node:fs";
import path from "node:path";
import type { LogFactory, LogUse } from "../broker/log-factory.js";
import { FileLog, type FileLogOptions } from "./file-log.js";

export interface StoredTopic {
  readonly name: string;
  readonly partitions: number;
}

export class FileLogFactory implements LogFactory {
  readonly dataDir: string;
  private readonly options: FileLogOptions;

  constructor(dataDir: string, options: FileLogOptions = {}) {
    this.dataDir = path.resolve(dataDir);
    this.options = options;
    fs.mkdirSync(this.dataDir, { recursive: true });
  }

  private partitionDir(topic: string, partition: number): string {
    return path.join(this.dataDir, `${encodeURIComponent(topic)}-${partition}`);
  }

  /** Topics found on disk, with their partition counts (partition directories 0..n-1). */
  listTopics(): StoredTopic[] {
    const counts = new Map<string, number>();
    for (const entry of fs.readdirSync(this.dataDir, { withFileTypes: true })) {
      const m = /^(.+)-(\d+)$/.exec(entry.name);
      if (!entry.isDirectory() || m === null) continue;
      const name = decodeURIComponent(m[1]!);
      counts.set(name, Math.max(counts.get(name) ?? 0, Number(m[2]) + 1));
    }
    return [...counts]
      .map(([name, partitions]) => ({ name, partitions }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  openLog(topic: string, partition: number, use: LogUse = {}): FileLog {
    // A read cache of a log nobody tail-reads (`__consumer_offsets` takes a commit per consumer
    // batch) only keeps each entry alive long enough to be promoted, then dropped: old-generation
    // garbage, which mark-compact pauses collect.
    const options = use.tailReads === false ? { ...this.options, cacheBytes: 0 } : this.options;
    return new FileLog(this.partitionDir(topic, partition), options);
  }

  open(topic: string, partition: number, use?: LogUse): Promise<FileLog> {
    return Promise.resolve(this.openLog(topic, partition, use));
  }

  /** Removes one partition's files; its log must be closed first. */
  remove(topic: string, partition: number): Promise<void> {
    fs.rmSync(this.partitionDir(topic, partition), { recursive: true, force: true });
    return Promise.resolve();
  }

  /** Removes a topic's files; its logs must be closed first. */
  deleteTopic(topic: string): void {
    const prefix = `${encodeURIComponent(topic)}-`;
    for (const entry of fs.readdirSync(this.dataDir)) {
      if (entry.startsWith(prefix) && /^\d+$/.test(entry.slice(prefix.length))) {
        fs.rmSync(path.join(this.dataDir, entry), { recursive: true, force: true });
      }
    }
  }
}
