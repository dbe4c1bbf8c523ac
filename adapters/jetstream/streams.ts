/**
 * Where brokerbench's topics live in JetStream: one stream per partition, each its own ordered
 * sequence with its own offsets (stream sequences). A one-partition topic is stream `bb_<topic>` on
 * subject `<topic>`; partition i of a partitioned topic is stream `bb_<topic>_p<i>` on subject
 * `<topic>.<i>`. One durable consumer per (partition, group). Names are derived, never guessed: a
 * stream brokerbench made always starts with `bb_`, so a left-over one can be removed safely and
 * anybody else's stream is never touched.
 */

import { type JetStreamManager, nanos, RetentionPolicy, StorageType } from "nats";
import { UsageError } from "../../core/errors.js";
import { checkSubject } from "../nats/index.js";

const NAME = "jetstream";
export const STREAM_PREFIX = "bb_";

/** Stream and consumer names allow no dots, wildcards, whitespace or path separators. */
function token(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, "_");
}

export function streamName(topic: string): string {
  return `${STREAM_PREFIX}${token(topic)}`;
}

/** One partition of a topic: the stream that holds it and the subject it is published on. */
export interface Partition {
  readonly topic: string;
  readonly partition: number;
  readonly stream: string;
  readonly subject: string;
}

export function partitionsOf(topic: string, count: number): Partition[] {
  if (count === 1) return [{ topic, partition: 0, stream: streamName(topic), subject: topic }];
  return Array.from({ length: count }, (_, i) => ({
    topic,
    partition: i,
    stream: `${streamName(topic)}_p${i}`,
    subject: `${topic}.${i}`,
  }));
}

/** How many partitions the topic's streams say it has (for topics another process created). */
export async function discoverPartitions(jsm: JetStreamManager, topic: string): Promise<Partition[]> {
  const exists = (name: string) =>
    jsm.streams.info(name).then(
      () => true,
      (err: unknown) => {
        if (isNotFound(err)) return false;
        throw err;
      },
    );
  if (await exists(streamName(topic))) return partitionsOf(topic, 1);
  let count = 0;
  while (await exists(`${streamName(topic)}_p${count}`)) count++;
  if (count === 0)
    throw new Error(`${NAME}: topic "${topic}" has no stream ${streamName(topic)}; create the topic first`);
  return partitionsOf(topic, count);
}

export function durableName(group: string): string {
  return `bb_${token(group)}`;
}

/** The subject a push consumer delivers to; members of the group queue-subscribe to it. */
export function deliverSubject(partition: Partition, group: string): string {
  return `bb_deliver.${partition.stream}.${durableName(group)}`;
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: string; api_error?: { err_code?: number } };
  return e.code === "404" || /not found|no stream matches/i.test((err as Error).message ?? "");
}

export interface StreamSettings {
  readonly storage: "file" | "memory";
  readonly duplicateWindowMs: number;
  /** Copies of each stream the cluster keeps (1 on a single server). */
  readonly replicas: number;
}

/** Creates the topic's streams fresh, removing left-over brokerbench streams on the same subjects. */
export async function createStreams(
  jsm: JetStreamManager,
  topic: string,
  count: number,
  settings: StreamSettings,
): Promise<Partition[]> {
  checkSubject(NAME, topic);
  await deleteStreams(jsm, topic);
  const partitions = partitionsOf(topic, count);
  for (const p of partitions) {
    const holder = await jsm.streams.find(p.subject).catch((err: unknown) => {
      if (isNotFound(err)) return null;
      throw err;
    });
    if (holder !== null) {
      if (!holder.startsWith(STREAM_PREFIX)) {
        throw new UsageError(
          `${NAME}: subject "${p.subject}" already belongs to stream "${holder}", which brokerbench did not create; pick another topic name`,
        );
      }
      await jsm.streams.delete(holder);
    }
    await jsm.streams.add({
      name: p.stream,
      subjects: [p.subject],
      storage: settings.storage === "memory" ? StorageType.Memory : StorageType.File,
      retention: RetentionPolicy.Limits,
      num_replicas: settings.replicas,
      duplicate_window: nanos(settings.duplicateWindowMs),
    });
  }
  return partitions;
}

/** Removes the topic's stream(s), partitioned or not. */
export async function deleteStreams(jsm: JetStreamManager, topic: string): Promise<void> {
  const base = streamName(topic);
  // Stream names hold only [A-Za-z0-9_-]: nothing to escape.
  const partitioned = new RegExp(`^${base}_p\\d+$`);
  const names: string[] = [];
  for await (const name of jsm.streams.names()) {
    if (name === base || partitioned.test(name)) names.push(name);
  }
  for (const name of names) {
    try {
      await jsm.streams.delete(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Deletes every stream of a topic named with `prefix` (`bb_<prefix>…`); returns their names. */
export async function cleanStreams(jsm: JetStreamManager, prefix: string): Promise<string[]> {
  const start = streamName(prefix);
  const names: string[] = [];
  for await (const name of jsm.streams.names()) if (name.startsWith(start)) names.push(name);
  for (const name of names.sort()) {
    try {
      await jsm.streams.delete(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return names;
}

export { isNotFound };
