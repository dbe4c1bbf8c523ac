/**
 * Starts a reference broker server: a Broker over files in `dataDir` (recovered on start), served
 * over TCP. `close()` is the graceful shutdown: stop accepting, answer what is in flight, close the
 * connections, then close the broker, which flushes every log.
 */
import { Broker } from "../broker/index.js";
import type { FlushPolicy } from "../storage/file-log.js";
import { FileLogFactory } from "../storage/file-log-storage.js";
import type { RetentionPolicy } from "../storage/partition-log.js";
import { brokerHandlers, DEFAULT_LIMITS } from "./handlers.js";
import { TcpServer } from "./server.js";

export interface BrokerServerOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly flush: FlushPolicy;
  readonly flushIntervalMs?: number;
  readonly segmentBytes?: number;
  readonly retention?: RetentionPolicy;
  readonly maxFrameBytes?: number;
  readonly log?: (line: string) => void;
}

export interface RunningBrokerServer {
  readonly host: string;
  readonly port: number;
  readonly broker: Broker;
  readonly server: TcpServer;
  close(): Promise<void>;
}

export async function startBrokerServer(options: BrokerServerOptions): Promise<RunningBrokerServer> {
  const logs = new FileLogFactory(options.dataDir, {
    flush: options.flush,
    ...(options.flushIntervalMs !== undefined ? { flushIntervalMs: options.flushIntervalMs } : {}),
    ...(options.segmentBytes !== undefined ? { segmentBytes: options.segmentBytes } : {}),
    ...(options.retention !== undefined ? { retention: options.retention } : {}),
  });
  const broker = await Broker.open({ logs, flushBeforeAck: options.flush === "always" });
  const server = new TcpServer({
    host: options.host,
    port: options.port,
    handlers: brokerHandlers(broker, {
      ...DEFAULT_LIMITS,
      ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
    }),
    ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
  });
  let address: { host: string; port: number };
  try {
    address = await server.listen();
  } catch (err) {
    await broker.close();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    ...address,
    broker,
    server,
    close() {
      closing ??= (async () => {
        await server.close();
        await broker.close();
      })();
      return closing;
    },
  };
}

/**
 * Runs a server until SIGTERM or SIGINT, then shuts it down gracefully. Prints the line scripts and
 * tests wait for (`... listening on host:port ...`).
 */
export async function serveUntilSignal(options: BrokerServerOptions): Promise<void> {
  const server = await startBrokerServer(options);
  console.log(
    `brokerbench broker listening on ${server.host}:${server.port} (data ${options.dataDir}, flush ${options.flush}, pid ${process.pid})`,
  );
  const signal = await new Promise<string>((resolve) => {
    const onTerm = () => done("SIGTERM");
    const onInt = () => done("SIGINT");
    const done = (s: string) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      resolve(s);
    };
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
  console.log(`brokerbench broker: ${signal}, shutting down`);
  await server.close();
  console.log("brokerbench broker: stopped cleanly");
}
