/**
 * Errors the CLI turns into exit code 2 with a one-line message: bad input, not a crash.
 * Anything else that escapes a command is a failure or a bug: one line too (internalErrorLine),
 * exit 1, and its stack only with BROKERBENCH_DEBUG=1.
 */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** 130: stopped by Ctrl-C (128 + SIGINT), what was measured kept. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Text from a file made safe for a terminal: control characters (other than tab) are shown as
 * escapes (`\x1b`), never sent raw, so a binary file cannot garble or drive the terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : c;
  });
}

/** The one line printed for an error that is not the user's input; the stack with BROKERBENCH_DEBUG. */
export function internalErrorLine(err: unknown): string {
  if (process.env["BROKERBENCH_DEBUG"] && err instanceof Error && err.stack) return printable(err.stack);
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return (
    `brokerbench: ${printable(message)}${typeof code === "string" && !message.includes(code) ? ` (${code})` : ""} ` +
    "(set BROKERBENCH_DEBUG=1 for details)"
  );
}
