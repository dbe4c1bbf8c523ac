/**
 * `brokerbench broker`: runs the reference broker as a server process. Binds loopback unless told
 * otherwise; data survives restarts in --data-dir. SIGTERM/SIGINT shut it down gracefully: stop
 * accepting, answer in-flight requests, flush and close every log.
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import path from "node:path";
import { serveUntilSignal } from "../../../adapters/reference/server/run.js";
import { FLUSH_POLICIES, type FlushPolicy } from "../../../adapters/reference/storage/file-log.js";
import { makeDirs } from "../../../core/dirs.js";
import { EXIT, UsageError } from "../../../core/errors.js";
import { defineCommand } from "./command.js";

interface BrokerArgs {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly flush: FlushPolicy;
  readonly flushIntervalMs: number;
  readonly segmentBytes: number;
  readonly retentionMs?: number;
  readonly retentionBytes?: number;
  readonly maxFrameBytes: number;
}

/** The data directory must be a directory we can create and write: a file there is a usage error. */
function checkDataDir(given: string, dataDir: string): void {
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory())
    throw new UsageError(`--data-dir ${given}: is a file, not a directory; name a directory for the logs`);
  try {
    makeDirs(dataDir);
    accessSync(dataDir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOTDIR" ? "a part of the path is a file" : (err as Error).message;
    throw new UsageError(`--data-dir ${given}: cannot create or write it (${why})`);
  }
}

function positive(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) {
    throw new UsageError(`--${name} must be a positive integer (got ${v})`);
  }
}

export const brokerCommand = defineCommand<BrokerArgs>({
  command: "broker",
  describe: "Run the reference broker as a TCP server (durable, in --data-dir)",
  builder: (y) =>
    y
      .option("host", { type: "string", default: "127.0.0.1", describe: "address to bind (0.0.0.0: all)" })
      .option("port", { type: "number", default: 9092, describe: "TCP port (0: any free port)" })
      .option("data-dir", { type: "string", default: "brokerbench-data", describe: "where the logs live" })
      .option("flush", {
        choices: FLUSH_POLICIES,
        default: "interval" as FlushPolicy,
        describe: "fsync policy: always (before every ack), interval, none (leave it to the OS)",
      })
      .option("flush-interval-ms", { type: "number", default: 1000, describe: "--flush interval: period" })
      .option("segment-bytes", { type: "number", default: 64 * 1024 * 1024, describe: "segment roll size" })
      .option("retention-ms", { type: "number", describe: "delete segments older than this (default: keep)" })
      .option("retention-bytes", { type: "number", describe: "per-partition size limit (default: none)" })
      .option("max-frame-bytes", {
        type: "number",
        default: 16 * 1024 * 1024,
        describe: "largest request frame",
      })
      .strict() as never,
  async run(args) {
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
      throw new UsageError(`--port must be 0-65535 (got ${args.port})`);
    }
    positive("flush-interval-ms", args.flushIntervalMs);
    positive("segment-bytes", args.segmentBytes);
    positive("retention-ms", args.retentionMs);
    positive("retention-bytes", args.retentionBytes);
    positive("max-frame-bytes", args.maxFrameBytes);
    const dataDir = path.resolve(args.dataDir);
    checkDataDir(args.dataDir, dataDir);
    try {
      await serveUntilSignal({
        host: args.host,
        port: args.port,
        dataDir,
        flush: args.flush,
        flushIntervalMs: args.flushIntervalMs,
        segmentBytes: args.segmentBytes,
        retention: { maxAgeMs: args.retentionMs ?? null, maxBytes: args.retentionBytes ?? null },
        maxFrameBytes: args.maxFrameBytes,
        log: (line) => console.error(`brokerbench broker: ${line}`),
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
        throw new UsageError(`--host ${args.host}: cannot resolve that name (${code})`);
      }
      if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
        throw new UsageError(
          `cannot listen on ${args.host}:${args.port} (${code}); pick another --port/--host`,
        );
      }
      throw err;
    }
    return EXIT.ok;
  },
});
