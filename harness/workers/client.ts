/**
 * The coordinator's side of one worker (protocol.ts): HTTP requests with its token, waiting for it
 * to become reachable (in Kubernetes its pod and DNS name appear after the coordinator starts),
 * and its clock offset. A request that cannot reach the worker, or whose connection drops, throws
 * a WorkerUnreachable: the coordinator reports the worker as lost.
 */
import { request as httpRequest } from "node:http";
import type { z } from "zod";
import { wallMs } from "../../core/clock.js";
import { formatHostPort, type HostPort } from "./address.js";
import { type ClockOffset, type ClockSample, estimateOffset } from "./clock-offset.js";
import {
  clockSchema,
  errorSchema,
  openedSchema,
  produceDoneSchema,
  progressSchema,
  reportSchema,
  type SegmentProgress,
  type SegmentReport,
  type SegmentRequest,
} from "./protocol.js";

/** The worker could not be reached, or its connection dropped (it is lost). */
export class WorkerUnreachable extends Error {}

const CLOCK_SAMPLES = 16;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class WorkerClient {
  readonly address: string;
  private readonly at: HostPort;
  private readonly token: string | null;
  /**
   * A worker process on the coordinator's own machine (`--workers N`): it reads the same clock
   * (core/clock.ts), so its measured offset is reported but neither corrected nor refused.
   */
  readonly sameClock: boolean;

  constructor(at: HostPort, token: string | null, options: { sameClock?: boolean } = {}) {
    this.at = at;
    this.address = formatHostPort(at);
    this.token = token;
    this.sameClock = options.sameClock ?? false;
  }

  /** Polls GET /health with backoff (0.1 s doubling to 2 s) until it answers 200 or `waitS` pass. */
  async waitReady(waitS: number): Promise<void> {
    const deadline = performance.now() + waitS * 1000;
    let delay = 100;
    let last = "";
    for (;;) {
      try {
        await this.call("GET", "/health", undefined, null, 2000);
        return;
      } catch (err) {
        last = (err instanceof Error ? err.message : String(err)).replace(`worker ${this.address}: `, "");
      }
      if (performance.now() + delay > deadline)
        throw new WorkerUnreachable(
          `worker ${this.address}: not reachable within ${waitS} s (--worker-wait): ${last}`,
        );
      await sleep(delay);
      delay = Math.min(delay * 2, 2000);
    }
  }

  async clockOffset(): Promise<ClockOffset> {
    const samples: ClockSample[] = [];
    for (let i = 0; i < CLOCK_SAMPLES; i++) {
      const t0 = wallMs();
      const { wallMs: tw } = await this.call("GET", "/clock", undefined, clockSchema);
      samples.push({ t0, tw, t1: wallMs() });
    }
    return estimateOffset(samples);
  }

  async open(request: SegmentRequest): Promise<string> {
    return (await this.call("POST", "/runs", request, openedSchema)).id;
  }

  async produce(id: string, startMs: number): Promise<number> {
    return (await this.call("POST", `/runs/${id}/produce`, { startMs }, produceDoneSchema, 0)).producingS;
  }

  progress(id: string): Promise<SegmentProgress> {
    return this.call("GET", `/runs/${id}/progress`, undefined, progressSchema);
  }

  async interrupt(id: string): Promise<void> {
    await this.call("POST", `/runs/${id}/interrupt`, {}, null);
  }

  finish(id: string): Promise<SegmentReport> {
    return this.call("POST", `/runs/${id}/finish`, {}, reportSchema, 60_000);
  }

  /** Gives the segment up (best effort: a run that failed elsewhere). */
  async discard(id: string): Promise<void> {
    await this.call("POST", `/runs/${id}/discard`, {}, null, 60_000).catch(() => {});
  }

  /** Streams the segment's history into `sink` (a file's write stream). */
  history(id: string, sink: NodeJS.WritableStream): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: this.at.host,
          port: this.at.port,
          method: "GET",
          path: `/runs/${id}/history`,
          headers: this.headers(),
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`worker ${this.address}: history: HTTP ${res.statusCode}`));
            return;
          }
          res.on("error", (err) => reject(new WorkerUnreachable(`worker ${this.address}: ${err.message}`)));
          res.on("end", () => resolve());
          res.pipe(sink, { end: false });
        },
      );
      req.on("error", (err) => reject(new WorkerUnreachable(`worker ${this.address}: ${err.message}`)));
      req.end();
    });
  }

  private headers(): Record<string, string> {
    return this.token === null ? {} : { authorization: `Bearer ${this.token}` };
  }

  /** One request; `timeoutMs` 0: none (a produce request lasts the run). */
  private call<S extends z.ZodType>(
    method: string,
    path: string,
    body: unknown,
    schema: S | null,
    timeoutMs = 10_000,
  ): Promise<z.output<S>> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: this.at.host,
          port: this.at.port,
          method,
          path,
          headers: {
            ...this.headers(),
            ...(text === undefined
              ? {}
              : { "content-type": "application/json", "content-length": Buffer.byteLength(text) }),
          },
          // Its own connection: Node's global agent times idle sockets out after 5 s, and a
          // produce request is idle for the run's duration.
          agent: false,
          ...(timeoutMs > 0 ? { timeout: timeoutMs } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (err) => reject(new WorkerUnreachable(`worker ${this.address}: ${err.message}`)));
          res.on("end", () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
              reject(
                new Error(`worker ${this.address}: ${method} ${path}: not JSON (HTTP ${res.statusCode})`),
              );
              return;
            }
            if (res.statusCode !== 200) {
              const e = errorSchema.safeParse(parsed);
              reject(
                new Error(`worker ${this.address}: ${e.success ? e.data.error : `HTTP ${res.statusCode}`}`),
              );
              return;
            }
            if (schema === null) return resolve(parsed as z.output<S>);
            const ok = schema.safeParse(parsed);
            if (ok.success) resolve(ok.data as z.output<S>);
            else reject(new Error(`worker ${this.address}: ${method} ${path}: unexpected answer`));
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.on("error", (err) => reject(new WorkerUnreachable(`worker ${this.address}: ${err.message}`)));
      req.end(text);
    });
  }
}
