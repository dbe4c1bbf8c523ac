/**
 * Google's client straight on the emulator, for tests of what the emulator itself does (the
 * adapter's own behaviour is the conformance suite's business): fresh topics and subscriptions
 * under `bb-emu-`, removed afterwards, and small helpers around unary Pull.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CreateSubscriptionOptions, PubSub, Topic, v1 } from "@google-cloud/pubsub";
import { openClient, openSubscriberClient } from "../client.js";
import { parseSettings } from "../settings.js";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface RawMessage {
  readonly ackId: string;
  readonly data: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey: string;
  readonly deliveryAttempt: number;
  readonly publishSeconds: number;
}

let serial = 0;

export class RawEmulator {
  readonly pubsub: PubSub;
  readonly subscriber: v1.SubscriberClient;
  readonly project: string;
  private readonly topics = new Set<string>();
  private readonly subscriptions = new Set<string>();

  constructor(url: string) {
    const settings = parseSettings({ url });
    this.project = settings.project;
    this.pubsub = openClient(settings);
    this.subscriber = openSubscriberClient(this.pubsub);
  }

  /** A fresh name for this test run. */
  name(label: string): string {
    return `bb-emu-${label}-${process.pid}-${++serial}`;
  }

  path(subscription: string): string {
    return `projects/${this.project}/subscriptions/${subscription}`;
  }

  async topic(label: string, retentionS?: number): Promise<Topic> {
    const name = this.name(label);
    const [topic] = await this.pubsub.createTopic(
      retentionS === undefined ? { name } : { name, messageRetentionDuration: { seconds: retentionS } },
    );
    this.topics.add(name);
    return topic;
  }

  async subscribe(topic: Topic, options: CreateSubscriptionOptions = {}, label = "s"): Promise<string> {
    const name = this.name(label);
    await topic.createSubscription(name, options);
    this.subscriptions.add(name);
    return name;
  }

  async publish(
    topic: Topic,
    data: string,
    extra: { attributes?: Record<string, string> } = {},
  ): Promise<void> {
    await topic.publishMessage({ data: Buffer.from(data), ...extra });
  }

  /** One Pull that answers at once. */
  async pull(subscription: string, max = 1000): Promise<RawMessage[]> {
    const [r] = await this.subscriber.pull({
      subscription: this.path(subscription),
      maxMessages: max,
      returnImmediately: true,
    });
    return (r.receivedMessages ?? []).map((m) => ({
      ackId: m.ackId ?? "",
      data: Buffer.from(m.message?.data ?? "").toString(),
      attributes: (m.message?.attributes ?? {}) as Record<string, string>,
      orderingKey: m.message?.orderingKey ?? "",
      deliveryAttempt: m.deliveryAttempt ?? 0,
      publishSeconds: Number(m.message?.publishTime?.seconds ?? 0),
    }));
  }

  async ack(subscription: string, messages: readonly RawMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.subscriber.acknowledge({
      subscription: this.path(subscription),
      ackIds: messages.map((m) => m.ackId),
    });
  }

  async nack(subscription: string, messages: readonly RawMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.subscriber.modifyAckDeadline({
      subscription: this.path(subscription),
      ackIds: messages.map((m) => m.ackId),
      ackDeadlineSeconds: 0,
    });
  }

  /** Pulls and acks until a pull comes back empty; the data, in delivery order. */
  async drain(subscription: string): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const got = await this.pull(subscription);
      if (got.length === 0) return out;
      out.push(...got.map((m) => m.data));
      await this.ack(subscription, got);
    }
  }

  /** Polls until something arrives (or `timeoutMs`); returns it and how long it took. */
  async waitFor(
    subscription: string,
    timeoutMs: number,
  ): Promise<{ messages: RawMessage[]; afterMs: number }> {
    const started = Date.now();
    for (;;) {
      const messages = await this.pull(subscription);
      if (messages.length > 0 || Date.now() - started > timeoutMs)
        return { messages, afterMs: Date.now() - started };
      await sleep(25);
    }
  }

  async close(): Promise<void> {
    for (const s of this.subscriptions)
      await this.pubsub
        .subscription(s)
        .delete()
        .catch(() => {});
    for (const t of this.topics)
      await this.pubsub
        .topic(t)
        .delete()
        .catch(() => {});
    await this.subscriber.close().catch(() => {});
    await this.pubsub.close().catch(() => {});
  }
}

/** A push endpoint for tests: records each request and answers as `respond` says (null: never). */
export class RecordingEndpoint {
  readonly requests: { atMs: number; body: Record<string, unknown>; data: string }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly started = Date.now();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** `respond(data)` → [status, delayMs] or null to leave the request hanging. */
  static async open(respond: (data: string) => readonly [number, number] | null): Promise<RecordingEndpoint> {
    let endpoint: RecordingEndpoint | null = null;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const e = endpoint!;
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { message: { data: string } };
        const data = Buffer.from(body.message.data, "base64").toString();
        e.requests.push({ atMs: Date.now() - e.started, body, data });
        e.inFlight++;
        e.maxInFlight = Math.max(e.maxInFlight, e.inFlight);
        const answer = respond(data);
        if (answer === null) return;
        setTimeout(() => {
          e.inFlight--;
          res.writeHead(answer[0]).end();
        }, answer[1]);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = new RecordingEndpoint(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`,
    );
    return endpoint;
  }

  received(data: string): number[] {
    return this.requests.filter((r) => r.data === data).map((r) => r.atMs);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
