/**
 * What a run reports besides its figures: the error that fails it (the first one wins), the
 * warnings that do not (what went wrong), and what its injected faults did (not warnings).
 */
export class RunLog {
  /** Why the run failed, or null. */
  error: string | null = null;
  /** results.json `warnings`: one line each. */
  readonly warnings: string[] = [];
  /** results.json `faultLog`: what the injected faults did, one line each. */
  readonly faultLog: string[] = [];
  /** The first failed send's error (the broker's reason), for an inconclusive run's reason. */
  firstSendFailure: string | null = null;

  fault(line: string): void {
    this.faultLog.push(line);
  }

  fail(message: string): void {
    this.error ??= message;
  }

  warn(line: string): void {
    this.warnings.push(line);
  }
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
