/**
 * Publishing to JetStream. A message goes to the subject of the partition its key hashes to
 * (FNV-1a), or round-robin without a key. At-least-once and exactly-once publish through
 * JetStream and wait for its acknowledgement (stream sequence = offset); exactly-once (and any idempotent producer) also
 * sets `Nats-Msg-Id` to the message's id as the harness gives it (`OutgoingMessage.id`, the payload
 * stays opaque), so a retried message within the stream's duplicate window is stored once and
 * acknowledged with its first sequence. At-most-once publishes
 * on core NATS with no acknowledgement (the stream still captures it): no offset is known then.
 */
import { headers, type JetStreamClient, type MsgHdrs, type NatsConnection, type PubAck } from "nats";
import {
  type DeliveryMode,
  type OutgoingMessage,
  type Producer,
  type SendAck,
  SendError,
} from "../contract.js";
import { flushOrClosed, NATS_KEY_HEADER } from "../nats/index.js";
import type { Partition } from "./streams.js";

/** The topic's partitions, created by this adapter or discovered from the server. */
export type PartitionResolver = (topic: string) => Promise<readonly Partition[]>;

/** FNV-1a over the key's UTF-16 code units: stable across runs and processes. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export class JetStreamProducer implements Producer {
  private readonly js: JetStreamClient;
  private roundRobin = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly mode: DeliveryMode,
    private readonly dedup: boolean,
    private readonly timeoutMs: number,
    private readonly partitions: PartitionResolver,
  ) {
    this.js = nc.jetstream({ timeout: timeoutMs });
  }

  async send(batch: readonly OutgoingMessage[]): Promise<readonly SendAck[]> {
    const targets = await this.route(batch);
    return this.mode === "at-most-once" ? this.sendCore(batch, targets) : this.sendAcked(batch, targets);
  }

  /** The partition of each message: its key's hash, or round-robin without a key. */
  private async route(batch: readonly OutgoingMessage[]): Promise<Partition[]> {
    const targets: Partition[] = [];
    const byTopic = new Map<string, readonly Partition[]>();
    for (const m of batch) {
      let ps = byTopic.get(m.topic);
      if (ps === undefined) {
        try {
          ps = await this.partitions(m.topic);
        } catch (err) {
          throw new SendError((err as Error).message, true, { cause: err });
        }
        byTopic.set(m.topic, ps);
      }
      const i = m.key === null ? this.roundRobin++ % ps.length : keyHash(m.key) % ps.length;
      targets.push(ps[i]!);
    }
    return targets;
  }

  private async sendCore(
    batch: readonly OutgoingMessage[],
    targets: readonly Partition[],
  ): Promise<readonly SendAck[]> {
    let published = 0;
    try {
      batch.forEach((m, i) => {
        const h = keyHeaders(m.key);
        this.nc.publish(targets[i]!.subject, m.payload, h === undefined ? undefined : { headers: h });
        published++;
      });
      await flushOrClosed(this.nc);
    } catch (err) {
      throw new SendError(`jetstream: publish failed: ${(err as Error).message}`, published === 0, {
        cause: err,
      });
    }
    return targets.map((p) => ({ partition: p.partition, offset: null }));
  }

  /** All of a batch in flight at once; the runner's in-flight limit bounds the window. */
  private async sendAcked(
    batch: readonly OutgoingMessage[],
    targets: readonly Partition[],
  ): Promise<readonly SendAck[]> {
    const results = await Promise.allSettled(
      batch.map((m, i) => {
        const h = keyHeaders(m.key);
        return this.js.publish(targets[i]!.subject, m.payload, {
          ...(h === undefined ? {} : { headers: h }),
          ...(this.dedup ? { msgID: idOf(m) } : {}),
          timeout: this.timeoutMs,
        });
      }),
    );
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failures.length > 0) {
      const first = failures[0]?.reason as Error & { code?: string };
      // Definitely not stored only when no message was stored and the server said why (no stream,
      // API error); a timeout or a closed connection leaves the outcome unknown.
      const definite =
        failures.length === batch.length &&
        (first.code === "503" || /api error|no responders/i.test(first.message));
      throw new SendError(
        `jetstream: ${failures.length} of ${batch.length} publishes not acknowledged: ${first.message}`,
        definite,
        { cause: first },
      );
    }
    return results.map((r, i) => ({
      partition: targets[i]!.partition,
      offset: (r as PromiseFulfilledResult<PubAck>).value.seq,
    }));
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }
}

function keyHeaders(key: string | null): MsgHdrs | undefined {
  if (key === null) return undefined;
  const h = headers();
  h.set(NATS_KEY_HEADER, key);
  return h;
}

/** The message's id from the harness: the same message retried gets the same Nats-Msg-Id. */
function idOf(m: OutgoingMessage): string {
  if (m.id === undefined) {
    throw new SendError(
      "jetstream: deduplicated publishing needs each message's id (OutgoingMessage.id)",
      true,
    );
  }
  return m.id;
}
