import type { Argv } from "yargs";
import type { ExitCode } from "../../../core/errors.js";

/**
 * One CLI command: its yargs options, and a `run` that returns the process exit code
 * (0 valid / 1 a verdict invalid / 2 usage or input error). Commands never call process.exit.
 */
export interface Command<A = Record<string, unknown>> {
  readonly command: string;
  readonly describe: string;
  readonly builder: (yargs: Argv) => Argv<A>;
  readonly run: (args: A) => Promise<ExitCode>;
}

/** Keeps each command's argument type while the list in cli.ts holds them together. */
export function defineCommand<A>(command: Command<A>): Command<unknown> {
  return command as unknown as Command<unknown>;
}
