/** What went wrong in a run: the error that fails it (the first one wins) and the warnings that do not. */
export class RunLog {
  /** Why the run failed, or null. */
  error: string | null = null;
  /** results.json `warnings`: one line each. */
  readonly warnings: string[] = [];

  fail(message: string): void {
    this.error ??= message;
  }

  warn(line: string): void {
    this.warnings.push(line);
  }
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
