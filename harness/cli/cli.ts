/**
 * The CLI: every command is wired here, and only here. `parseCli` is exported so tests drive the
 * CLI without spawning processes. Exit codes: 0 valid, 1 a verdict invalid or a failure, 2 usage or
 * input error. Nothing prints a stack trace unless BROKERBENCH_DEBUG is set.
 */
import yargs, { type Argv } from "yargs";
import { EXIT, type ExitCode, internalErrorLine, printable, UsageError } from "../../core/errors.js";
import type { Command } from "./commands/command.js";

/**
 * A command as `--help` lists it; its module, and everything that module imports (adapters,
 * runner, reports), loads only when the command is named. Each lives in
 * harness/cli/commands/<name>.ts; `command` and `describe` repeat its own (cli.test.ts holds
 * them equal).
 */
export interface CommandEntry {
  readonly command: string;
  readonly describe: string;
  load(): Promise<Command<unknown>>;
}

/** Commands, in the order `--help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    command: "run [workloads..]",
    describe: "Run workloads (files or built-in names; default: the default suite) and print a summary",
    load: async () => (await import("./commands/run.js")).runCommand,
  },
  {
    command: "check <history>",
    describe: "Check a recorded history (history.bbh or JSON lines) for delivery and ordering anomalies",
    load: async () => (await import("./commands/check.js")).checkCommand,
  },
  {
    command: "history <file>",
    describe: "Print a compact history (history.bbh) as JSON lines, or encode a JSON lines history compactly",
    load: async () => (await import("./commands/history.js")).historyCommand,
  },
  {
    command: "clean",
    describe: "Remove every resource brokerbench created on the brokers (names starting with bb-)",
    load: async () => (await import("./commands/clean.js")).cleanCommand,
  },
  {
    command: "list",
    describe: "List the built-in workloads and the adapters with their capabilities and settings",
    load: async () => (await import("./commands/list.js")).listCommand,
  },
  {
    command: "report <inputs..>",
    describe: "Write an HTML/Markdown report with charts from results; two inputs compare old and new",
    load: async () => (await import("./commands/report.js")).reportCommand,
  },
  {
    command: "broker",
    describe: "Run the reference broker as a TCP server (durable, in --data-dir)",
    load: async () => (await import("./commands/broker.js")).brokerCommand,
  },
  {
    command: "service <action> [name]",
    describe: "Start, list and stop brokers brokerbench runs itself (kafka, …): start|stop|status|list",
    load: async () => (await import("./commands/service.js")).serviceCommand,
  },
  {
    command: "worker",
    describe: "Serve segments of distributed runs to a coordinator (brokerbench run --worker HOST:PORT)",
    load: async () => (await import("./commands/worker.js")).workerCommand,
  },
];

const nameOf = (command: string) => command.split(" ")[0]!;

/**
 * The CLI for `argv`: every command listed, the named one(s) loaded with their options and action.
 * A command not named cannot run, so it is registered with its description only.
 */
export async function buildCli(
  argv: readonly string[],
  commands: readonly CommandEntry[] = COMMANDS,
): Promise<Argv> {
  let cli = yargs([...argv])
    .scriptName("brokerbench")
    .usage("$0 <command> [options]")
    .strict()
    .demandCommand(1, "name a command (see --help)")
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false);
  const words = new Set(argv.slice(0, argv.includes("--") ? argv.indexOf("--") : argv.length));
  for (const entry of commands) {
    if (!words.has(nameOf(entry.command))) {
      cli = cli.command(entry.command, entry.describe);
      continue;
    }
    const c = await entry.load();
    cli = cli.command(c.command, c.describe, c.builder as (y: Argv) => Argv, async (args) => {
      exitCode = await c.run(args);
    });
  }
  return cli;
}

let exitCode: ExitCode = EXIT.ok;

/** Parses and runs; returns the exit code. Usage and input errors print one line and return 2. */
export async function main(argv: readonly string[]): Promise<ExitCode> {
  exitCode = EXIT.ok;
  let failed = false;
  try {
    await (await buildCli(argv))
      .fail((msg, err) => {
        failed = true;
        if (err) throw err;
        throw new UsageError(msg);
      })
      .parseAsync();
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`brokerbench: ${printable(err.message)}`);
      return EXIT.usage;
    }
    // Not the user's input: a failure (a broker gone, a disk full) or a bug. One line still; the
    // stack only when asked for.
    console.error(internalErrorLine(err));
    return EXIT.invalid;
  }
  return failed ? EXIT.usage : exitCode;
}
