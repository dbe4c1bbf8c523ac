/**
 * The history fields of a streaming computation (docs/HISTORY.md, "Streaming computations"): what
 * a pipeline's run records beside the plain send/poll lines, so that a checker can recompute every
 * aggregate from the history alone. Shared by the recorder (harness/runner/pipeline) and the
 * computation checker (checkers/computation.ts); core imports nothing of ours.
 */

/** The `meta` line's `pipeline` object: which topic is the input, which the output, who verifies. */
export interface PipelineMeta {
  /** Topic the producers write keyed events with numeric values (`num`) to. */
  readonly input: string;
  /** Topic the processors write each key's updated aggregate (`agg`) to. */
  readonly output: string;
  /** The group reading the output: its drain decides the final values. */
  readonly verifier: string;
  /** How the processors ran: at-least-once, exactly-once or at-most-once. */
  readonly mode: string;
}

/**
 * An output message's aggregate: the key's running count, sum and average after the processor
 * applied the input event `input` (a history id) to its state. The key is the message's `key`.
 */
export interface Aggregate {
  readonly count: number;
  readonly sum: number;
  readonly avg: number;
  readonly input: string;
}

/** The aggregate of values in order (the rule every output must satisfy for some prefix). */
export function aggregateOf(values: readonly number[]): { count: number; sum: number; avg: number } {
  let sum = 0;
  for (const v of values) sum += v;
  return { count: values.length, sum, avg: values.length === 0 ? 0 : sum / values.length };
}

/** Two sums agree when they differ by rounding only (floating-point addition order). */
export function sameSum(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}
