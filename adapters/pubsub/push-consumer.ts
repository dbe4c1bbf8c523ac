/**
 * Push delivery: a consumer behind its subscription's push endpoint (push-endpoint.ts). Each
 * request holds one message; the response is its acknowledgement, sent when the runner commits
 * it: 204 at once under at-most-once (commit before processing), after processing under
 * at-least-once. The emulator keeps at most two requests in flight per subscription, so that is
 * the whole window whatever `prefetch` says, and a consumer that does not answer stalls the
 * subscription's deliveries. `close` answers 503 to what it still holds (pushed again about a
 * second later, to another consumer if there is one); `kill` cuts those connections unanswered.
 */
import type { ServerResponse } from "node:http";
import type { CommitValue, Delivery, PushConsumer } from "../contract.js";
import { PushBatches } from "../push-batches.js";
import { type PushEnvelope, toDelivery } from "./messages.js";
import type { PushEndpoint, PushMember } from "./push-endpoint.js";
import { NAME } from "./settings.js";

export class PubSubPushConsumer implements PushConsumer, PushMember {
  readonly delivery = "push" as const;
  private readonly batches: PushBatches<Delivery>;
  private readonly responses = new WeakMap<Delivery, ServerResponse>();
  /** Requests not answered yet. */
  private readonly open = new Set<ServerResponse>();
  private closed = false;

  constructor(
    private readonly endpoint: PushEndpoint,
    private readonly topic: string,
    maxBatch: number,
  ) {
    // Requests that arrived in one tick are handed over as one batch.
    this.batches = new PushBatches(maxBatch, { coalesce: "turn" });
  }

  receive(envelope: PushEnvelope, res: ServerResponse): void {
    if (this.closed) {
      res.writeHead(503).end();
      return;
    }
    const m = envelope.message;
    const data = Buffer.from(m.data ?? "", "base64");
    const d = toDelivery(this.topic, data, m.attributes, envelope.deliveryAttempt);
    this.responses.set(d, res);
    this.open.add(res);
    res.on("close", () => this.open.delete(res));
    this.batches.push(d);
  }

  async start(onBatch: (batch: readonly Delivery[]) => void | Promise<void>): Promise<void> {
    this.batches.start(onBatch);
  }

  async commit(deliveries: readonly Delivery[]): Promise<CommitValue> {
    let unanswerable = 0;
    for (const d of deliveries) {
      const res = this.responses.get(d);
      if (res === undefined) throw new Error(`${NAME}: commit of a delivery this consumer did not make`);
      this.responses.delete(d);
      if (res.writableEnded || res.destroyed) {
        unanswerable++;
        continue;
      }
      res.writeHead(204).end();
      this.open.delete(res);
    }
    if (unanswerable > 0) {
      // The emulator gave up on those requests: it pushes them again, unacknowledged.
      throw new Error(
        `${NAME}: ${unanswerable} of ${deliveries.length} push requests closed before their acknowledgement`,
      );
    }
    return { kind: "acks", count: deliveries.length };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.batches.stop();
    // Not acknowledged: the emulator pushes these again (to another consumer of the group, if any).
    for (const res of this.open) if (!res.writableEnded) res.writeHead(503).end();
    this.open.clear();
    this.endpoint.leave(this);
    // A delivery handler that threw stopped delivery there (push-batches.ts): say so.
    if (this.batches.error !== null) throw this.batches.error;
  }

  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.batches.stop();
    // No answer at all, as from a process that died: the emulator sees the connection drop.
    for (const res of this.open) res.socket?.destroy();
    this.open.clear();
    this.endpoint.leave(this);
  }
}
