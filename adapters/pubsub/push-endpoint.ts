/**
 * The HTTP endpoint of one push subscription: a server on a loopback port that the emulator POSTs
 * each message to (one message per request, a JSON envelope with the data in base64). The
 * response is the acknowledgement: 2xx acks, anything else (or no answer) leaves the message to be
 * pushed again.
 *
 * A subscription has one push endpoint, so the consumers of a group are the instances behind it
 * and the endpoint spreads requests over them, round robin, as a load balancer in front of a
 * service's instances would. While the group has no consumer the endpoint is down: it stops
 * listening and closes its idle connections, so pushes meet a refused connection, as they would
 * meet a crashed service. It listens again on the same port when a consumer joins (on another
 * port, announced through `onMoved`, if that one was taken meanwhile).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type PushEnvelope, parsePushEnvelope } from "./messages.js";

export const LOOPBACK = "127.0.0.1";
/** Largest request body accepted: a 10 MB message in base64 and its envelope. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A consumer behind the endpoint. */
export interface PushMember {
  /** Takes one pushed message; the member answers `res` when it acks or nacks it. */
  receive(envelope: PushEnvelope, res: ServerResponse): void;
}

export class PushEndpoint {
  private readonly members: PushMember[] = [];
  private readonly sockets = new Set<Socket>();
  private next = 0;
  private listening = false;
  private closed = false;
  /** Requests answered, by outcome, for tests and the README's measurements. */
  readonly counts = { received: 0, refusedNoMember: 0, malformed: 0 };

  private constructor(
    private readonly server: Server,
    private port: number,
    readonly path: string,
    private readonly onMoved: (url: string) => Promise<void>,
  ) {}

  /** Opens the endpoint on a free loopback port; it serves once a member joins. */
  static async open(path: string, onMoved: (url: string) => Promise<void>): Promise<PushEndpoint> {
    let endpoint: PushEndpoint | null = null;
    const server = createServer((req, res) => endpoint?.handle(req, res));
    server.keepAliveTimeout = 30_000;
    server.on("connection", (socket) => {
      endpoint?.sockets.add(socket);
      socket.on("close", () => endpoint?.sockets.delete(socket));
    });
    const port = await listen(server, 0);
    endpoint = new PushEndpoint(server, port, path, onMoved);
    endpoint.listening = true;
    return endpoint;
  }

  get url(): string {
    return `http://${LOOPBACK}:${this.port}${this.path}`;
  }

  get memberCount(): number {
    return this.members.length;
  }

  /** A consumer joins: the endpoint serves (again). */
  async join(member: PushMember): Promise<void> {
    if (this.closed) throw new Error(`push endpoint ${this.path} is closed`);
    this.members.push(member);
    if (this.listening) return;
    this.listening = true;
    try {
      await listen(this.server, this.port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") {
        this.listening = false;
        throw err;
      }
      this.port = await listen(this.server, 0);
      await this.onMoved(this.url);
    }
  }

  /** A consumer leaves (closed or killed, its requests already answered or cut): the last one takes the endpoint down. */
  leave(member: PushMember): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
    if (this.members.length === 0 && this.listening) {
      this.listening = false;
      this.server.close();
      this.server.closeIdleConnections();
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "POST" || req.url !== this.path) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (res.writableEnded) return;
      const envelope = parsePushEnvelope(Buffer.concat(chunks).toString("utf8"));
      if (envelope === null) {
        this.counts.malformed++;
        res.writeHead(400).end();
        return;
      }
      const member = this.members.length === 0 ? undefined : this.members[this.next++ % this.members.length];
      if (member === undefined) {
        // Between the last member leaving and the listener closing: not acknowledged.
        this.counts.refusedNoMember++;
        res.writeHead(503).end();
        return;
      }
      this.counts.received++;
      member.receive(envelope, res);
    });
  }

  /** Stops for good: every connection cut, nothing answered. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.members.length = 0;
    for (const socket of this.sockets) socket.destroy();
    if (this.listening) {
      this.listening = false;
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen(port, LOOPBACK, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
