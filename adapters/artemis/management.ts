/**
 * Artemis's management API over AMQP: a request is a message to the address `activemq.management`
 * naming a resource (`broker`, `queue.<name>`, `address.<name>`) and an operation in application
 * properties, its parameters a JSON array in the body; the reply (to the `reply_to` of a dynamic
 * receiver) carries `_AMQ_OperationSucceeded` and a JSON array holding the result or the error.
 * Chosen over Jolokia (HTTP) so that the adapter needs only the acceptor it already talks to, and
 * so that an instance created with `--no-web` can still be managed.
 */
import type { Connection, Receiver, Sender } from "rhea-promise";
import { describeAmqpError, NAME } from "./connection.js";

const MANAGEMENT_ADDRESS = "activemq.management";
/** Longest wait for a reply (creating 10,000 queues one by one must not trip it). */
const TIMEOUT_MS = 15_000;

export class ManagementError extends Error {
  constructor(
    readonly operation: string,
    message: string,
  ) {
    super(`${NAME}: management ${operation} failed: ${message}`);
    this.name = "ManagementError";
  }
}

export interface QueueSpec {
  readonly name: string;
  readonly address: string;
  readonly routing: "ANYCAST" | "MULTICAST";
  /** A JMS selector: only matching messages are ever stored in the queue. */
  readonly filter?: string;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly operation: string;
}

export class ArtemisManagement {
  private readonly pending = new Map<string, Pending>();
  private serial = 0;

  private constructor(
    private readonly sender: Sender,
    private readonly receiver: Receiver,
    private readonly replyTo: string,
    private readonly timeoutMs: number,
  ) {
    receiver.on(
      "message" as never,
      (ctx: {
        message?: {
          correlation_id?: unknown;
          application_properties?: Record<string, unknown>;
          body?: unknown;
        };
      }) => {
        const m = ctx.message;
        const id = typeof m?.correlation_id === "string" ? m.correlation_id : undefined;
        const p = id === undefined ? undefined : this.pending.get(id);
        if (p === undefined || id === undefined || m === undefined) return;
        this.pending.delete(id);
        clearTimeout(p.timer);
        // A void operation answers with no body.
        const body = typeof m.body === "string" ? m.body : "null";
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          p.reject(new ManagementError(p.operation, `unreadable reply ${body.slice(0, 200)}`));
          return;
        }
        const result = Array.isArray(parsed) ? parsed[0] : parsed;
        if (m.application_properties?._AMQ_OperationSucceeded === true) p.resolve(result);
        else p.reject(new ManagementError(p.operation, String(result)));
      },
    );
  }

  static async open(connection: Connection, timeoutMs = TIMEOUT_MS): Promise<ArtemisManagement> {
    const link = await connection.createRequestResponseLink(
      { target: { address: MANAGEMENT_ADDRESS } },
      { source: { address: "", dynamic: true }, credit_window: 100 },
    );
    const replyTo = link.receiver.address;
    if (typeof replyTo !== "string" || replyTo === "") {
      throw new Error(`${NAME}: the broker gave the management reply link no address`);
    }
    return new ArtemisManagement(link.sender, link.receiver, replyTo, timeoutMs);
  }

  /** Invokes `operation` on `resource` with JSON-encodable parameters; resolves with its result. */
  invoke(resource: string, operation: string, params: readonly unknown[]): Promise<unknown> {
    const id = `bb-mgmt-${++this.serial}`;
    const label = `${resource}.${operation}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ManagementError(label, `no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer, operation: label });
      try {
        this.sender.send({
          message_id: id,
          reply_to: this.replyTo,
          application_properties: { _AMQ_ResourceName: resource, _AMQ_OperationName: operation },
          body: JSON.stringify(params),
        });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ManagementError(label, describeAmqpError(err)));
      }
    });
  }

  async version(): Promise<string> {
    return String(await this.invoke("broker", "getVersion", []));
  }

  async addressNames(): Promise<string[]> {
    return stringList(await this.invoke("broker", "getAddressNames", []));
  }

  async queueNames(): Promise<string[]> {
    return stringList(await this.invoke("broker", "getQueueNames", []));
  }

  async createAddress(name: string, routing: "ANYCAST" | "MULTICAST"): Promise<void> {
    await this.invoke("broker", "createAddress", [name, routing]);
  }

  /** Removes the address with its queues and their messages, closing their consumers. */
  async deleteAddress(name: string): Promise<void> {
    await this.invoke("broker", "deleteAddress", [name, true]);
  }

  /**
   * Creates a durable queue that stays when its last consumer leaves (auto-delete off: Artemis's
   * own default would delete an idle subscription queue, and what is sent meanwhile with it);
   * no error when it exists already (consumers of one group are created concurrently).
   */
  async createQueue(q: QueueSpec): Promise<void> {
    const config = {
      name: q.name,
      address: q.address,
      "routing-type": q.routing,
      durable: true,
      "auto-delete": false,
      "purge-on-no-consumers": false,
      ...(q.filter === undefined ? {} : { "filter-string": q.filter }),
    };
    await this.invoke("broker", "createQueue", [JSON.stringify(config), true]);
  }

  async destroyQueue(name: string): Promise<void> {
    await this.invoke("broker", "destroyQueue", [name, true]);
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ManagementError(p.operation, "management link closed"));
    }
    this.pending.clear();
    await this.sender.close().catch(() => {});
    await this.receiver.close().catch(() => {});
  }
}

function stringList(result: unknown): string[] {
  return Array.isArray(result) ? result.filter((x): x is string => typeof x === "string") : [];
}
