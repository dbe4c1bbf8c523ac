/**
 * Where brokerbench's topics live in JetStream: one stream per topic, capturing exactly the subject
 * named like the topic; one durable consumer per (topic, group). Names are derived, never guessed:
 * a stream brokerbench made always starts with `bb_`, so a left-over one can be removed safely and
 * anybody else's stream is never touched.
 */
import { type JetStreamManager, nanos, RetentionPolicy, StorageType } from "nats";
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

export function durableName(group: string): string {
  return `bb_${token(group)}`;
}

/** The subject a push consumer delivers to; members of the group queue-subscribe to it. */
export function deliverSubject(topic: string, group: string): string {
  return `bb_deliver.${streamName(topic)}.${durableName(group)}`;
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: string; api_error?: { err_code?: number } };
  return e.code === "404" || /not found|no stream matches/i.test((err as Error).message ?? "");
}

export interface StreamSettings {
  readonly storage: "file" | "memory";
  readonly duplicateWindowMs: number;
}

/** Creates the topic's stream fresh, removing a left-over brokerbench stream on the same subject. */
export async function createStream(
  jsm: JetStreamManager,
  topic: string,
  settings: StreamSettings,
): Promise<void> {
  checkSubject(NAME, topic);
  const name = streamName(topic);
  await deleteStream(jsm, topic);
  const holder = await jsm.streams.find(topic).catch((err: unknown) => {
    if (isNotFound(err)) return null;
    throw err;
  });
  if (holder !== null) {
    if (!holder.startsWith(STREAM_PREFIX)) {
      throw new Error(
        `${NAME}: subject "${topic}" already belongs to stream "${holder}", which brokerbench did not create; pick another topic name`,
      );
    }
    await jsm.streams.delete(holder);
  }
  await jsm.streams.add({
    name,
    subjects: [topic],
    storage: settings.storage === "memory" ? StorageType.Memory : StorageType.File,
    retention: RetentionPolicy.Limits,
    num_replicas: 1,
    duplicate_window: nanos(settings.duplicateWindowMs),
  });
}

export async function deleteStream(jsm: JetStreamManager, topic: string): Promise<void> {
  try {
    await jsm.streams.delete(streamName(topic));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export { isNotFound };
