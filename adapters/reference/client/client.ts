/**
 * A connection to a reference broker server: pipelined requests matched to responses by
 * correlation id, PUSH frames routed to the subscription that asked for them (subscription ids are
 * chosen by the client, so no push can arrive before its handler exists), version negotiation on
 * connect (ApiVersions), and errors that say whether the outcome is known.
 */
import net from "node:net";
import type { ApiSpec } from "../protocol/api.js";
import { Reader } from "../protocol/codec.js";
import { errorFromWire, PROTOCOL_ERRORS } from "../protocol/errors.js";
import {
  beginRequest,
  DEFAULT_MAX_FRAME_BYTES,
  endFrame,
  FrameDecoder,
  readServerHeader,
  SERVER_HEADER_BYTES,
} from "../protocol/frame.js";
import { FrameWriter } from "../protocol/frame-writer.js";
import { apiVersions } from "../protocol/requests/00-api-versions.js";

export interface ClientOptions {
  readonly host: string;
  readonly port: number;
  readonly connectTimeoutMs?: number;
  /** Added to a request's own wait (long polls) before it times out. */
  readonly requestTimeoutMs?: number;
  readonly maxFrameBytes?: number;
}

/** The connection is gone: requests in flight have an unknown outcome. */
export class ConnectionClosedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionClosedError";
  }
}

export class RequestTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RequestTimeoutError";
  }
}

interface Pending {
  readonly api: ApiSpec<unknown, unknown>;
  readonly version: number;
  readonly deadline: number;
  resolve(res: unknown): void;
  reject(err: Error): void;
  readonly onAnswer: ((res: unknown) => void) | undefined;
}

export type PushHandler = (body: Reader) => void;

export class ReferenceClient {
  readonly address: string;
  /** How this client connected (to open another connection to the same server). */
  readonly options: ClientOptions;
  private readonly socket: net.Socket;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, Pending>();
  private readonly pushHandlers = new Map<number, PushHandler>();
  private readonly closeListeners: ((err: Error) => void)[] = [];
  private readonly requestTimeoutMs: number;
  private nextCorrelationId = 1;
  private nextSubscriptionId = 1;
  private versions = new Map<number, { min: number; max: number }>();
  private readonly writer: FrameWriter;
  private closedError: Error | null = null;
  private readonly sweeper: NodeJS.Timeout;
  brokerVersion = "unknown";
  /** The largest frame the server reads (ApiVersions v1); a bigger request is refused before it is written. */
  private serverMaxFrameBytes = Number.POSITIVE_INFINITY;

  private constructor(socket: net.Socket, address: string, options: ClientOptions) {
    this.socket = socket;
    this.address = address;
    this.options = options;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.decoder = new FrameDecoder(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    socket.setNoDelay(true);
    this.writer = new FrameWriter(socket);
    socket.on("data", (chunk: Buffer) => {
      try {
        this.decoder.push(chunk, (f) => this.onFrame(f));
      } catch (err) {
        this.fail(new ConnectionClosedError(`${address}: bad frame from server: ${(err as Error).message}`));
        socket.destroy();
      }
    });
    socket.on("error", (err) =>
      this.fail(new ConnectionClosedError(`${address}: ${err.message}`, { cause: err })),
    );
    socket.on("close", () => this.fail(new ConnectionClosedError(`${address}: connection closed`)));
    this.sweeper = setInterval(() => this.sweep(), 200);
    this.sweeper.unref();
  }

  /** Connects and negotiates versions; rejects within `connectTimeoutMs` naming the address. */
  static async connect(options: ClientOptions): Promise<ReferenceClient> {
    const address = `${options.host}:${options.port}`;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect timed out after ${options.connectTimeoutMs ?? 3000} ms`));
      }, options.connectTimeoutMs ?? 3000);
      s.once("connect", () => {
        clearTimeout(timer);
        s.removeAllListeners("error");
        resolve(s);
      });
      s.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const client = new ReferenceClient(socket, address, options);
    // Bootstrap: ApiVersions v0 is always spoken.
    client.versions.set(apiVersions.key, { min: 0, max: 0 });
    const v = await client.request(apiVersions, {});
    client.versions = new Map(v.apis.map((a) => [a.key, { min: a.minVersion, max: a.maxVersion }]));
    client.brokerVersion = v.brokerVersion;
    // A server that speaks ApiVersions v1 says how big a frame it reads.
    if (client.versionFor(apiVersions) >= 1) {
      const v1 = await client.request(apiVersions, {});
      if (v1.maxFrameBytes !== undefined && v1.maxFrameBytes > 0)
        client.serverMaxFrameBytes = v1.maxFrameBytes;
    }
    return client;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** The highest version of `api` both sides speak. */
  versionFor(api: ApiSpec<unknown, unknown>): number {
    const server = this.versions.get(api.key);
    const v = server === undefined ? -1 : Math.min(server.max, api.maxVersion);
    if (server === undefined || v < server.min || v < api.minVersion) {
      throw errorFromWire(
        PROTOCOL_ERRORS.UNSUPPORTED_VERSION.code,
        `${this.address} does not speak ${api.name} [${api.minVersion}, ${api.maxVersion}]`,
      );
    }
    return v;
  }

  /**
   * Sends a request; `waitMs` is how long the server may legitimately hold it (long poll).
   * `onAnswer` runs as soon as the response frame is read, before any later frame (the promise
   * settles a microtask later, after the rest of the chunk was read): for callers that must know
   * where in the stream of pushes the answer came.
   */
  request<Req, Res>(
    api: ApiSpec<Req, Res>,
    req: Req,
    waitMs = 0,
    onAnswer?: (res: Res) => void,
  ): Promise<Res> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    let version: number;
    try {
      version = this.versionFor(api as ApiSpec<unknown, unknown>);
    } catch (err) {
      return Promise.reject(err);
    }
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff || 1;
    const w = beginRequest(
      { apiKey: api.key, apiVersion: version, correlationId },
      api.requestBytes?.(req) ?? 256,
    );
    api.encodeRequest(w, req, version);
    const frame = endFrame(w);
    if (frame.length > this.serverMaxFrameBytes) {
      // The server would close the connection on it, leaving every request in flight unknown;
      // refused here, nothing of it was written: the broker's own error, a definite one.
      return Promise.reject(
        errorFromWire(
          PROTOCOL_ERRORS.MESSAGE_TOO_LARGE.code,
          `${this.address}: a ${api.name} frame of ${frame.length} bytes exceeds the server's ${this.serverMaxFrameBytes}-byte maximum`,
        ),
      );
    }
    return new Promise<Res>((resolve, reject) => {
      this.pending.set(correlationId, {
        api: api as ApiSpec<unknown, unknown>,
        version,
        deadline: Date.now() + waitMs + this.requestTimeoutMs,
        resolve: resolve as (r: unknown) => void,
        reject,
        onAnswer: onAnswer as ((res: unknown) => void) | undefined,
      });
      this.writer.write(frame);
    });
  }

  /** Reserves a subscription id and routes its PUSH frames to `handler` until the returned function is called. */
  subscribePushes(handler: PushHandler): { id: number; stop: () => void } {
    const id = this.nextSubscriptionId++;
    this.pushHandlers.set(id, handler);
    return { id, stop: () => this.pushHandlers.delete(id) };
  }

  /** Stops reading from the socket (TCP backpressure to the server, e.g. while a push batch is processed). */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  onClose(listener: (err: Error) => void): void {
    if (this.closedError !== null) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  private onFrame(frame: Buffer): void {
    const { kind, id } = readServerHeader(frame);
    const body = new Reader(frame, SERVER_HEADER_BYTES);
    if (kind === "push") {
      this.pushHandlers.get(id)?.(body);
      return;
    }
    if (kind === "fatal") {
      const code = body.int16();
      const message = body.string();
      // Requests before the fatal one may or may not have been served: their outcome is unknown.
      const cause = errorFromWire(code, message);
      this.fail(
        new ConnectionClosedError(`${this.address} closed the connection: ${cause.message}`, { cause }),
      );
      this.socket.destroy();
      return;
    }
    const p = this.pending.get(id);
    if (p === undefined) return; // timed out already
    this.pending.delete(id);
    try {
      const res = p.api.decodeResponse(body, p.version);
      body.done(p.api.name);
      p.onAnswer?.(res);
      p.resolve(res);
    } catch (err) {
      p.reject(err as Error);
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(id);
        p.reject(new RequestTimeoutError(`${this.address}: ${p.api.name} got no response in time`));
      }
    }
  }

  private fail(err: Error): void {
    if (this.closedError !== null) return;
    this.closedError = err;
    clearInterval(this.sweeper);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const l of this.closeListeners.splice(0)) l(err);
  }

  async close(): Promise<void> {
    if (this.closedError !== null) return;
    await new Promise<void>((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.end();
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 1000).unref();
    });
    this.fail(new ConnectionClosedError(`${this.address}: client closed`));
  }

  destroy(): void {
    this.socket.destroy();
    this.fail(new ConnectionClosedError(`${this.address}: client destroyed`));
  }
}
