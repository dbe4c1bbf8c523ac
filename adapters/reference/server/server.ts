/**
 * The TCP server: accepts connections and gives each its own Connection (frame parser, dispatch,
 * backpressure). State lives in the Broker; connections only translate.
 */
import net from "node:net";
import { DEFAULT_MAX_FRAME_BYTES } from "../protocol/frame.js";
import { Connection, type Handler } from "./connection.js";

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly handlers: ReadonlyMap<number, Handler>;
  readonly maxFrameBytes?: number;
  /** Per-connection send buffer above which reading pauses and pushes wait. */
  readonly maxBufferedBytes?: number;
  readonly log?: (line: string) => void;
}

export class TcpServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly options: ServerOptions;
  private nextId = 1;

  constructor(options: ServerOptions) {
    this.options = options;
    const connectionOptions = {
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
      handlers: options.handlers,
      log: options.log ?? (() => {}),
    };
    this.server = net.createServer((socket) => {
      const c = new Connection(this.nextId++, socket, connectionOptions);
      this.connections.add(c);
      c.onClose(() => this.connections.delete(c));
    });
  }

  /** Binds; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off("error", reject);
        const a = this.server.address() as net.AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops accepting, waits up to `graceMs` for in-flight requests to be answered, then closes every
   * connection. The caller closes the broker afterwards (which flushes the logs).
   */
  async close(graceMs = 2000): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    while ([...this.connections].some((c) => c.inFlight > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const c of this.connections) c.close();
    await stopped;
  }

  /** Drops every connection at once (tests). */
  destroyAll(): void {
    for (const c of this.connections) c.destroy();
  }
}
