/**
 * The CLI: every command is wired here, and only here. `parseCli` is exported so tests drive the
 * CLI without spawning processes. Exit codes: 0 valid, 1 a verdict invalid or a failure, 2 usage or
 * input error. Nothing prints a stack trace unless BROKERBENCH_DEBUG is set.
 */
import yargs, { type Argv } from "yargs";
import { EXIT, type ExitCode, internalErrorLine, printable, UsageError } from "../../core/errors.js";
import { brokerCommand } from "./commands/broker.js";
import { checkCommand } from "./commands/check.js";
import { cleanCommand } from "./commands/clean.js";
import type { Command } from "./commands/command.js";
import { historyCommand } from "./commands/history.js";
import { listCommand } from "./commands/list.js";
import { reportCommand } from "./commands/report.js";
import { runCommand } from "./commands/run.js";
import { serviceCommand } from "./commands/service.js";

/** Commands, in the order `--help` lists them. Each lives in harness/cli/commands/<name>.ts. */
const COMMANDS: readonly Command<unknown>[] = [
  runCommand,
  checkCommand,
  historyCommand,
  cleanCommand,
  listCommand,
  reportCommand,
  brokerCommand,
  serviceCommand,
];

export function buildCli(argv: readonly string[]): Argv {
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
  for (const c of COMMANDS) {
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
    await buildCli(argv)
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
