/**
 * The reference adapter over TCP (`--set url=host:port`): the same adapter contract as the
 * embedded one, every broker call a request to a `brokerbench broker` server. The adapter keeps one
 * admin connection; each producer and consumer opens its own, as real clients do.
 */
import { UsageError } from "../../core/errors.js";
import {
  type Adapter,
  type AdapterSettings,
  BrokerUnreachableError,
  type Capabilities,
  type Consumer,
  type ConsumerOptions,
  type Producer,
  type ProducerOptions,
  type TopicSpec,
} from "../contract.js";
import { ReferenceClient, ServerError } from "./client/client.js";
import { capabilitiesFor } from "./embedded.js";
import { parseReferenceSettings, type ReferenceSettings } from "./embedded-settings.js";
import { remoteTopicNames, resolvePatterns } from "./patterns.js";
import { APIS } from "./protocol/apis.js";
import { RemotePullConsumer, RemotePushConsumer } from "./remote-consumer.js";
import { RemoteProducer } from "./remote-producer.js";
import { RemoteQueuePullConsumer, RemoteQueuePushConsumer } from "./remote-queue-consumer.js";
import { TopicDirectory } from "./remote-topics.js";

const UNKNOWN_TOPIC = 3;

export function parseUrl(url: string): { host: string; port: number } {
  const m = /^(?:tcp:\/\/)?(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(url.trim());
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || port < 1 || port > 65535) {
    throw new UsageError(`reference adapter: setting url=${url}: use host:port, e.g. url=127.0.0.1:9092`);
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

export class RemoteAdapter implements Adapter {
  readonly capabilities: Capabilities;
  private readonly admin: ReferenceClient;
  private readonly topics: TopicDirectory;
  private readonly settings: ReferenceSettings;
  private readonly address: { host: string; port: number };
  private readonly open = new Set<{ close(): Promise<void> }>();

  private constructor(
    admin: ReferenceClient,
    settings: ReferenceSettings,
    address: { host: string; port: number },
  ) {
    this.admin = admin;
    this.topics = new TopicDirectory(admin);
    this.settings = settings;
    this.address = address;
    this.capabilities = capabilitiesFor(settings);
  }

  static async connect(settings: AdapterSettings): Promise<RemoteAdapter> {
    const parsed = parseReferenceSettings(settings);
    const address = parseUrl(settings["url"] ?? "");
    return new RemoteAdapter(await RemoteAdapter.dial(address), parsed, address);
  }

  private static async dial(address: { host: string; port: number }): Promise<ReferenceClient> {
    try {
      return await ReferenceClient.connect({ ...address, connectTimeoutMs: 3000 });
    } catch (err) {
      throw new BrokerUnreachableError("reference", `${address.host}:${address.port}`, err);
    }
  }

  versions(): Promise<Readonly<Record<string, string>>> {
    return Promise.resolve({
      "reference-broker": `${this.admin.brokerVersion} (server ${this.admin.address})`,
      node: process.version,
    });
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    await this.deleteTopic(spec.name);
    const r = await this.admin.request(APIS.createTopic, { name: spec.name, partitions: spec.partitions });
    if (r.errorCode !== 0) throw new ServerError(r.errorCode, r.errorMessage);
  }

  async deleteTopic(name: string): Promise<void> {
    this.topics.forget(name);
    const r = await this.admin.request(APIS.deleteTopic, { name });
    if (r.errorCode !== 0 && r.errorCode !== UNKNOWN_TOPIC)
      throw new ServerError(r.errorCode, r.errorMessage);
  }

  /** Deletes the server's topics named with `prefix` (Metadata lists them all). */
  async clean(prefix: string): Promise<readonly string[]> {
    const names = (await remoteTopicNames(this.admin)).filter((n) => n.startsWith(prefix)).sort();
    for (const name of names) await this.deleteTopic(name);
    return names;
  }

  async createProducer(options: ProducerOptions): Promise<Producer> {
    const s = this.settings;
    const idempotent =
      s.idempotence === "true" ||
      (s.idempotence === "auto" && (options.idempotent || options.mode === "exactly-once"));
    const client = await RemoteAdapter.dial(this.address);
    const p = await RemoteProducer.create(client, new TopicDirectory(client), { acks: s.acks, idempotent });
    this.open.add(p);
    return p;
  }

  async createConsumer(patterned: ConsumerOptions): Promise<Consumer> {
    const options =
      patterned.patterns === undefined
        ? patterned
        : resolvePatterns(patterned, await remoteTopicNames(this.admin));
    const client = await RemoteAdapter.dial(this.address);
    const s = this.settings;
    let c: Consumer;
    if (s.queue) {
      c =
        options.delivery === "push"
          ? await RemoteQueuePushConsumer.create(client, options, s)
          : await RemoteQueuePullConsumer.create(client, options, s);
    } else {
      c =
        options.delivery === "push"
          ? await RemotePushConsumer.create(client, options, s)
          : await RemotePullConsumer.create(client, options, s);
    }
    this.open.add(c);
    return c;
  }

  async close(): Promise<void> {
    for (const x of this.open) await x.close().catch(() => {});
    this.open.clear();
    await this.admin.close();
  }
}
