/**
 * `brokerbench worker`: an HTTP server (node:http, JSON) that runs segments of distributed runs for
 * a coordinator (protocol.ts). One segment per run; a run nobody asks about for IDLE_MS (its
 * coordinator died) is stopped and its files removed.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hostWallMs } from "../../core/clock.js";
import { errorMessage } from "../runner/index.js";
import { formatHostPort, type HostPort } from "./address.js";
import { segmentRequestSchema, startSchema } from "./protocol.js";
import { SegmentRun } from "./segment-run.js";

/** A run not asked about for this long has lost its coordinator. */
const IDLE_MS = 120_000;
/** Largest request body (a segment request is a few KB). */
const MAX_BODY_BYTES = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Entry {
  readonly run: SegmentRun;
  lastSeenMs: number;
}

export class WorkerServer {
  private readonly server: Server;
  private readonly runs = new Map<string, Entry>();
  private readonly token: Buffer | null;
  private readonly sweep: NodeJS.Timeout;
  /** Called whenever a run is over here (its history sent, discarded or dropped idle). */
  onRunOver: (() => void) | null = null;

  private constructor(server: Server, token: string | null) {
    this.server = server;
    this.token = token === null ? null : Buffer.from(token);
    this.sweep = setInterval(() => void this.dropIdle(), 5000);
    this.sweep.unref();
  }

  /** Listens on `at` (port 0: any free port); `token` null: requests need none. */
  static async listen(at: HostPort, token: string | null): Promise<WorkerServer> {
    const server = createServer();
    // A produce request lasts the run's duration.
    server.requestTimeout = 0;
    const worker = new WorkerServer(server, token);
    server.on("request", (req, res) => void worker.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(at.port, at.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return worker;
  }

  /** Runs opened and not yet over. */
  get openRuns(): number {
    return this.runs.size;
  }

  /** Forgets a run: it is over for this worker. */
  private forget(id: string): void {
    if (this.runs.delete(id)) this.onRunOver?.();
  }

  get address(): string {
    const a = this.server.address() as AddressInfo;
    return formatHostPort({ host: a.address, port: a.port });
  }

  /** Stops listening; every run still open is finished and its files removed. */
  async close(): Promise<void> {
    clearInterval(this.sweep);
    for (const [id, e] of this.runs) {
      this.runs.delete(id);
      e.run.stopProducing();
      await e.run.finish().catch(() => {});
      await e.run.discard();
    }
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", "http://worker");
      if (req.method === "GET" && url.pathname === "/health") return send(res, 200, { ok: true });
      this.authorize(req);
      if (req.method === "GET" && url.pathname === "/clock") return send(res, 200, { wallMs: hostWallMs() });
      if (req.method === "POST" && url.pathname === "/runs") {
        const request = segmentRequestSchema.safeParse(await body(req));
        if (!request.success)
          throw new HttpError(400, `bad segment request: ${request.error.issues[0]?.message}`);
        const run = await SegmentRun.open(request.data).catch((err: unknown) => {
          throw new HttpError(422, errorMessage(err));
        });
        const id = randomBytes(6).toString("hex");
        this.runs.set(id, { run, lastSeenMs: Date.now() });
        return send(res, 200, { id });
      }
      const m = /^\/runs\/([0-9a-f]+)\/(produce|progress|interrupt|finish|history|discard)$/.exec(
        url.pathname,
      );
      const entry = m === null ? undefined : this.runs.get(m[1]!);
      if (m === null || entry === undefined)
        throw new HttpError(404, `no such route or run: ${url.pathname}`);
      entry.lastSeenMs = Date.now();
      const { run } = entry;
      switch (m[2]) {
        case "produce": {
          const start = startSchema.safeParse(await body(req));
          if (!start.success) throw new HttpError(400, "produce: expected {startMs}");
          // The coordinator gone mid-run (its request dropped): stop producing.
          const onGone = () => run.stopProducing();
          res.once("close", onGone);
          const producingS = await run.produce(start.data.startMs);
          res.off("close", onGone);
          entry.lastSeenMs = Date.now();
          return send(res, 200, { producingS });
        }
        case "progress":
          return send(res, 200, run.progress());
        case "interrupt":
          run.stopProducing();
          return send(res, 200, { ok: true });
        case "finish":
          return send(res, 200, await run.finish());
        case "history":
          return await this.sendHistory(m[1]!, run, res);
        case "discard":
          this.forget(m[1]!);
          run.stopProducing();
          await run.finish().catch(() => {});
          await run.discard();
          return send(res, 200, { ok: true });
      }
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      if (!res.headersSent) send(res, status, { error: errorMessage(err) });
      else res.destroy();
    }
  }

  private authorize(req: IncomingMessage): void {
    if (this.token === null) return;
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "");
    if (given.length !== this.token.length || !timingSafeEqual(given, this.token))
      throw new HttpError(401, "a valid token is required (Authorization: Bearer …)");
  }

  /** Streams the finished segment's history, then forgets the run and removes its files. */
  private async sendHistory(id: string, run: SegmentRun, res: ServerResponse): Promise<void> {
    await run.finish();
    const path = run.historyPath;
    if (path === null) throw new HttpError(404, "this segment recorded no history");
    res.writeHead(200, { "content-type": "application/octet-stream" });
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(path);
      stream.on("error", reject);
      res.on("close", resolve);
      stream.pipe(res);
    });
    this.forget(id);
    await run.discard();
  }

  private async dropIdle(): Promise<void> {
    const now = Date.now();
    for (const [id, e] of this.runs) {
      if (now - e.lastSeenMs < IDLE_MS) continue;
      this.forget(id);
      e.run.stopProducing();
      await e.run.finish().catch(() => {});
      await e.run.discard();
    }
  }
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "request body too large");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
}
