/**
 * `brokerbench worker --listen HOST:PORT`: serves segments of distributed runs to a coordinator
 * (`brokerbench run --worker HOST:PORT`) until SIGTERM or SIGINT. Loopback by default; any other
 * address needs a shared token (--token-file or BROKERBENCH_TOKEN).
 */
import { EXIT, UsageError } from "../../../core/errors.js";
import {
  isLoopback,
  LIFELINE_ENV,
  LISTENING,
  parseHostPort,
  readToken,
  TOKEN_ENV,
  WorkerServer,
} from "../../workers/index.js";
import { defineCommand } from "./command.js";

interface WorkerArgs {
  readonly listen: string;
  readonly tokenFile?: string;
  readonly exitAfterRun?: boolean;
}

/**
 * --exit-after-run: how long a worker waits, once the runs it served are over, for the next point
 * of the coordinator's suite before it exits (points follow each other within seconds).
 */
export const EXIT_AFTER_RUN_GRACE_MS = 10_000;

export const DEFAULT_WORKER_LISTEN = "127.0.0.1:7878";

export const workerCommand = defineCommand<WorkerArgs>({
  command: "worker",
  describe: "Serve segments of distributed runs to a coordinator (brokerbench run --worker HOST:PORT)",
  builder: (y) =>
    y
      .option("listen", {
        type: "string",
        default: DEFAULT_WORKER_LISTEN,
        describe: "HOST:PORT to listen on (port 0: any free port); not loopback: a token is required",
      })
      .option("token-file", {
        type: "string",
        describe: `file holding the shared token (default: the environment's ${TOKEN_ENV})`,
      })
      .option("exit-after-run", {
        type: "boolean",
        default: false,
        describe: `exit (0) once the coordinator's runs are over: ${EXIT_AFTER_RUN_GRACE_MS / 1000} s after the last one, if no other begins (a Kubernetes Job's worker)`,
      })
      .strict() as never,
  async run(args) {
    const at = parseHostPort(args.listen);
    if (at === null) throw new UsageError(`--listen ${args.listen}: expected HOST:PORT (e.g. 0.0.0.0:7878)`);
    const token = readToken(args.tokenFile);
    if (token === null && !isLoopback(at.host))
      throw new UsageError(
        `--listen ${args.listen}: not a loopback address, so a token is required (--token-file FILE or ${TOKEN_ENV})`,
      );
    let server: WorkerServer;
    try {
      server = await WorkerServer.listen(at, token);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(
        `--listen ${args.listen}: cannot listen there (${code ?? (err as Error).message})`,
      );
    }
    console.log(`${LISTENING}${server.address}`);
    if (token !== null) console.error("brokerbench worker: every request but GET /health needs the token");
    const signal = await new Promise<string>((resolve) => {
      const done = (s: string) => {
        process.off("SIGTERM", onTerm);
        process.off("SIGINT", onInt);
        resolve(s);
      };
      const onTerm = () => done("SIGTERM");
      const onInt = () => done("SIGINT");
      process.on("SIGTERM", onTerm);
      process.on("SIGINT", onInt);
      if (args.exitAfterRun === true) {
        let grace: NodeJS.Timeout | null = null;
        server.onRunOver = () => {
          if (grace !== null) clearTimeout(grace);
          grace = setTimeout(() => {
            if (server.openRuns === 0) done("its coordinator's runs are over (--exit-after-run)");
          }, EXIT_AFTER_RUN_GRACE_MS);
        };
      }
      // A local worker (--workers N) goes when its coordinator does.
      if (process.env[LIFELINE_ENV] === "1") {
        process.stdin.on("close", () => done("its coordinator is gone"));
        process.stdin.resume();
      }
    });
    console.error(`brokerbench worker: ${signal}, stopping`);
    await server.close();
    return EXIT.ok;
  },
});
