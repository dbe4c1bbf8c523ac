/**
 * One client connection: frames in, dispatch by request type, responses out in completion order.
 *
 * Per-connection isolation: a malformed frame, an unknown request type or version, an oversized
 * frame, or a handler that throws something other than a BrokerError gets a FATAL frame and this
 * connection is closed; nothing else is touched. Broker errors travel as codes in the response.
 *
 * Frames go out through a FrameWriter (small ones of one event-loop turn share a syscall); when
 * the socket's send buffer grows past `maxBufferedBytes` the connection stops reading requests
 * until it drains, and push deliveries wait for the drain (so a stalled reader backs up into the
 * broker's bounded per-subscriber buffer, not into this process's memory).
 */
import type { Socket } from "node:net";
import { isBrokerError } from "../broker/errors.js";
import type { ApiSpec } from "../protocol/api.js";
import { ProtocolError, Reader, type Writer } from "../protocol/codec.js";
import { PROTOCOL_ERRORS } from "../protocol/errors.js";
import {
  beginServerFrame,
  endFrame,
  FrameDecoder,
  FrameTooLargeError,
  REQUEST_HEADER_BYTES,
  readRequestHeader,
} from "../protocol/frame.js";
import { FrameWriter } from "../protocol/frame-writer.js";

/** What a handler may do besides answering: push frames and clean up when the connection goes. */
export interface ConnectionContext {
  readonly id: number;
  readonly remote: string;
  /** Sends a PUSH frame; resolves once the socket has room again (backpressure for push). */
  push(subscriptionId: number, body: (w: Writer) => void, sizeHint?: number): Promise<void>;
  /** Runs when the connection closes, for whatever reason. */
  onClose(cleanup: () => void): void;
  readonly closed: boolean;
}

export interface Handler<Req = unknown, Res = unknown> {
  readonly api: ApiSpec<Req, Res>;
  /** Answers a request; a thrown BrokerError becomes `api.errorResponse`, anything else drops the connection. */
  handle(req: Req, ctx: ConnectionContext): Res | Promise<Res>;
}

export function defineHandler<Req, Res>(h: Handler<Req, Res>): Handler<unknown, unknown> {
  return h as unknown as Handler<unknown, unknown>;
}

export interface ConnectionOptions {
  readonly maxFrameBytes: number;
  readonly maxBufferedBytes: number;
  readonly handlers: ReadonlyMap<number, Handler>;
  readonly log: (line: string) => void;
}

export class Connection implements ConnectionContext {
  readonly id: number;
  readonly remote: string;
  private readonly socket: Socket;
  private readonly options: ConnectionOptions;
  private readonly decoder: FrameDecoder;
  private readonly cleanups: (() => void)[] = [];
  private readonly writer: FrameWriter;
  private drainWaiters: (() => void)[] = [];
  private paused = false;
  private ended = false;
  /** Requests whose responses have not been written yet (graceful shutdown waits for them). */
  inFlight = 0;

  constructor(id: number, socket: Socket, options: ConnectionOptions) {
    this.id = id;
    this.socket = socket;
    this.options = options;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.decoder = new FrameDecoder(options.maxFrameBytes);
    socket.setNoDelay(true);
    this.writer = new FrameWriter(socket);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => this.onDrain());
    socket.on("error", () => {});
    socket.on("close", () => this.onSocketClose());
  }

  get closed(): boolean {
    return this.ended;
  }

  onClose(cleanup: () => void): void {
    if (this.ended) cleanup();
    else this.cleanups.push(cleanup);
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    try {
      this.decoder.push(chunk, (frame) => this.onFrame(frame));
    } catch (err) {
      if (err instanceof FrameTooLargeError)
        this.fatal(-1, PROTOCOL_ERRORS.MESSAGE_TOO_LARGE.code, err.message);
      else if (err instanceof ProtocolError)
        this.fatal(-1, PROTOCOL_ERRORS.CORRUPT_MESSAGE.code, err.message);
      else {
        // A bug reached by this client's bytes: drop this connection, keep the server up.
        this.options.log(`connection ${this.remote}: ${err instanceof Error ? err.stack : String(err)}`);
        this.fatal(-1, -1, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.ended) return;
    const header = readRequestHeader(frame);
    const handler = this.options.handlers.get(header.apiKey);
    const api = handler?.api;
    if (handler === undefined || api === undefined) {
      this.fatal(
        header.correlationId,
        PROTOCOL_ERRORS.UNSUPPORTED_VERSION.code,
        `unknown request type ${header.apiKey}`,
      );
      return;
    }
    if (header.apiVersion < api.minVersion || header.apiVersion > api.maxVersion) {
      this.fatal(
        header.correlationId,
        PROTOCOL_ERRORS.UNSUPPORTED_VERSION.code,
        `${api.name} version ${header.apiVersion} not in [${api.minVersion}, ${api.maxVersion}]`,
      );
      return;
    }
    let req: unknown;
    try {
      const r = new Reader(frame, REQUEST_HEADER_BYTES);
      req = api.decodeRequest(r, header.apiVersion);
      r.done("request");
    } catch (err) {
      // Codecs only throw ProtocolError by design; anything else from bad bytes is treated the same.
      const message = err instanceof Error ? err.message : String(err);
      this.fatal(header.correlationId, PROTOCOL_ERRORS.CORRUPT_MESSAGE.code, `${api.name}: ${message}`);
      return;
    }
    this.inFlight++;
    let result: unknown;
    try {
      result = handler.handle(req, this);
    } catch (err) {
      this.settle(handler, header.correlationId, header.apiVersion, err, true);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (res) => this.settle(handler, header.correlationId, header.apiVersion, res, false),
        (err) => this.settle(handler, header.correlationId, header.apiVersion, err, true),
      );
    } else {
      this.settle(handler, header.correlationId, header.apiVersion, result, false);
    }
  }

  private settle(
    handler: Handler,
    correlationId: number,
    version: number,
    value: unknown,
    failed: boolean,
  ): void {
    this.inFlight--;
    if (this.ended) return;
    let res = value;
    if (failed) {
      if (!isBrokerError(value)) {
        const message = value instanceof Error ? value.message : String(value);
        this.options.log(
          `connection ${this.remote}: ${handler.api.name} failed: ${value instanceof Error ? value.stack : message}`,
        );
        this.fatal(correlationId, -1, `${handler.api.name}: ${message}`);
        return;
      }
      res = handler.api.errorResponse({ errorCode: value.code, errorMessage: value.message });
    }
    const w = beginServerFrame("response", correlationId);
    handler.api.encodeResponse(w, res, version);
    this.write(endFrame(w));
  }

  private write(frame: Buffer): void {
    this.writer.write(frame);
    if (!this.paused && this.socket.writableLength > this.options.maxBufferedBytes) {
      this.paused = true;
      this.socket.pause();
    }
  }

  push(subscriptionId: number, body: (w: Writer) => void, sizeHint = 1024): Promise<void> {
    if (this.ended) return Promise.resolve();
    const w = beginServerFrame("push", subscriptionId, sizeHint);
    body(w);
    this.write(endFrame(w));
    if (this.socket.writableLength <= this.options.maxBufferedBytes) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private onDrain(): void {
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Tells the client why, then closes this connection only. */
  fatal(correlationId: number, code: number, message: string): void {
    if (this.ended) return;
    this.options.log(`connection ${this.remote}: closing: ${message}`);
    const w = beginServerFrame("fatal", correlationId).int16(code).string(message.slice(0, 1000));
    this.socket.end(endFrame(w));
    this.finish();
    // A peer that never reads must not keep the socket open.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Graceful close: stops reading, lets written bytes go out. */
  close(): void {
    if (this.ended) return;
    this.socket.end();
    this.finish();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.socket.destroy();
    this.finish();
  }

  private onSocketClose(): void {
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
    for (const c of this.cleanups.splice(0)) {
      try {
        c();
      } catch (err) {
        this.options.log(`connection ${this.remote}: cleanup failed: ${String(err)}`);
      }
    }
  }
}
