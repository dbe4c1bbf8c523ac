/**
 * Errors the CLI turns into exit code 2 with a one-line message: bad input, not a crash.
 * Anything else that escapes a command is a bug and prints its stack.
 */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
