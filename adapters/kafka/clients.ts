/**
 * @platformatic/kafka clients as this adapter uses them: one place for their options, the broker
 * routing that lets a TCP proxy sit in front of a one-node Kafka, and the switch that makes a
 * killed consumer vanish without a goodbye.
 *
 * Routing: a Kafka client dials the bootstrap address only for its first metadata; every later
 * connection goes to the address the cluster *advertises* for each broker id. A proxy in front of
 * the bootstrap address (the runner's fault proxy) would therefore only carry that first request.
 * The client has no broker-address map, but its metadata goes through the protected
 * `[kMetadata]` hook (an exported symbol), so the subclasses below rewrite the broker addresses
 * there: with `route=bootstrap` (or `auto` on a one-broker cluster) every broker id is reached at
 * the bootstrap address. For one broker this is exact: it is the broker that answered there.
 */
import {
  Admin,
  type Broker,
  type ClusterMetadata,
  type Connection,
  Consumer,
  GenericError,
  kGetConnection,
  kMetadata,
  type MetadataOptions,
  MultipleErrors,
  NetworkError,
  Producer,
  TimeoutError,
} from "@platformatic/kafka";
import { BrokerUnreachableError } from "../contract.js";
import { type KafkaSettings, NAME } from "./settings.js";

type Callback<T> = (error: Error | null, value?: T) => void;

/** Rewrites the advertised broker addresses per the `route` setting (in place: the client caches this object). */
export function routeBrokers(metadata: ClusterMetadata, s: Pick<KafkaSettings, "route" | "bootstrap">): void {
  const target = s.bootstrap[0];
  if (target === undefined || s.route === "advertised") return;
  if (s.route === "auto" && (metadata.brokers.size !== 1 || s.bootstrap.length !== 1)) return;
  for (const [id, b] of metadata.brokers) {
    if (b.host !== target.host || b.port !== target.port) {
      metadata.brokers.set(id, { ...b, host: target.host, port: target.port });
    }
  }
}

/** Connection options shared by every client of one adapter. */
export function baseOptions(s: KafkaSettings, clientId: string) {
  return {
    clientId,
    bootstrapBrokers: s.bootstrap.map((b) => `${b.host}:${b.port}`),
    connectTimeout: 3_000,
    requestTimeout: s.requestTimeoutMs,
    timeout: s.requestTimeoutMs,
    retries: 3,
    retryDelay: 20,
  };
}

export class RoutedAdmin extends Admin {
  constructor(
    private readonly routing: KafkaSettings,
    clientId: string,
  ) {
    super({ ...baseOptions(routing, clientId), retries: 1 });
  }
  override [kMetadata](options: MetadataOptions, callback: Callback<ClusterMetadata>): void {
    super[kMetadata](options, (error, metadata) => {
      if (metadata) routeBrokers(metadata, this.routing);
      callback(error, metadata);
    });
  }
}

export class RoutedProducer extends Producer<Buffer, Buffer, Buffer, Buffer> {
  readonly routing: KafkaSettings;
  constructor(
    routing: KafkaSettings,
    options: ConstructorParameters<typeof Producer<Buffer, Buffer, Buffer, Buffer>>[0],
  ) {
    super(options);
    this.routing = routing;
  }
  override [kMetadata](options: MetadataOptions, callback: Callback<ClusterMetadata>): void {
    super[kMetadata](options, (error, metadata) => {
      if (metadata) routeBrokers(metadata, this.routing);
      callback(error, metadata);
    });
  }
}

/**
 * A consumer whose `sever()` cuts it off as a crashed process would be: from then on it opens no
 * connection and sends nothing (no heartbeat, no LeaveGroup, no commit), so the group coordinator
 * only learns of its death when its session times out.
 */
export class RoutedConsumer extends Consumer<Buffer, Buffer, Buffer, Buffer> {
  readonly routing: KafkaSettings;
  private severed = false;
  constructor(
    routing: KafkaSettings,
    options: ConstructorParameters<typeof Consumer<Buffer, Buffer, Buffer, Buffer>>[0],
  ) {
    super(options);
    this.routing = routing;
  }
  override [kMetadata](options: MetadataOptions, callback: Callback<ClusterMetadata>): void {
    if (this.severed) {
      callback(new NetworkError("consumer killed"));
      return;
    }
    super[kMetadata](options, (error, metadata) => {
      if (metadata) routeBrokers(metadata, this.routing);
      callback(error, metadata);
    });
  }
  override [kGetConnection](broker: Broker, callback: Callback<Connection>): void {
    if (this.severed) {
      callback(new NetworkError("consumer killed"));
      return;
    }
    super[kGetConnection](broker, callback);
  }
  /** Dies: no further request leaves; the sockets are closed without a LeaveGroup. */
  async sever(): Promise<void> {
    this.severed = true;
    // LeaveGroup is skipped for a member without an id; then the client just closes its sockets.
    this.memberId = null;
    await new Promise<void>((resolve) => this.close(true, () => resolve()));
  }
}

const causes = (err: unknown): Error[] => {
  const out: Error[] = [];
  const walk = (e: unknown, depth: number) => {
    if (!(e instanceof Error) || depth > 6) return;
    out.push(e);
    if (e instanceof AggregateError) for (const inner of e.errors) walk(inner, depth + 1);
    walk((e as { cause?: unknown }).cause, depth + 1);
  };
  walk(err, 0);
  return out;
};

/** A Kafka protocol error code name (`apiId`) anywhere in the error, or null. */
export function kafkaErrorIds(err: unknown): string[] {
  return causes(err)
    .map((e) => (e as { apiId?: unknown }).apiId)
    .filter((id): id is string => typeof id === "string");
}

/**
 * Whether a failed request may still have taken effect: a lost connection or a timeout (ours or
 * the broker's REQUEST_TIMED_OUT waiting for replicas) leaves the outcome unknown; an error code
 * in the broker's answer (e.g. MESSAGE_TOO_LARGE, NOT_LEADER) means the batch was not appended.
 */
export function outcomeUnknown(err: unknown): boolean {
  const all = causes(err);
  if (all.some((e) => e instanceof NetworkError || e instanceof TimeoutError)) return true;
  const ids = kafkaErrorIds(err);
  if (ids.length === 0) return true;
  return ids.some((id) => id === "REQUEST_TIMED_OUT" || id === "NETWORK_EXCEPTION");
}

/** The broker cannot be reached at all (connect refused / timed out before any answer). */
export function unreachable(err: unknown, address: string): BrokerUnreachableError | null {
  const all = causes(err);
  const network = all.some(
    (e) =>
      e instanceof NetworkError ||
      e instanceof TimeoutError ||
      /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|timed out/i.test(e.message),
  );
  if (!network || kafkaErrorIds(err).length > 0) return null;
  const root = all.find((e) => /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND/.test(e.message)) ?? all.at(-1);
  return new BrokerUnreachableError(NAME, address, root);
}

/** One line for an error of the client (its MultipleErrors wrap the real cause). */
export function describeError(err: unknown): string {
  const all = causes(err);
  const ids = kafkaErrorIds(err);
  const leaf = all.filter((e) => !(e instanceof MultipleErrors)).at(-1) ?? all[0];
  const text = leaf?.message ?? String(err);
  return ids.length > 0 && !text.includes(ids[0]!) ? `${ids[0]}: ${text}` : text;
}

export { GenericError };
