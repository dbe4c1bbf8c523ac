/**
 * The highest sustainable rate (`rate: find-max`): a search over offered rates, one trial run per
 * rate, judged by the caller. Exponential first (double while a trial holds), then a binary
 * search between the last rate that held and the first that did not, until they are within
 * `precision` of each other. OMB's adaptive rate controller adjusts the rate inside one run and is
 * known to oscillate; separate trials cost more time but each rate's verdict stands on a whole run
 * of its own, and the caller keeps every trial as a point of the latency-vs-rate curve.
 */
import type { FindMaxResult, TrialOutcome } from "../../core/find-max.js";

export type { FindMaxResult, TrialOutcome } from "../../core/find-max.js";

export interface FindMaxBounds {
  /** The first rate tried (msg/s over all producers). */
  readonly startRate: number;
  /** Never tried above this. */
  readonly maxRate: number;
  /** Stop when the last rate that held and the first that did not are within this share. */
  readonly precision: number;
  /** Below this, give up going down (the first rate did not hold). */
  readonly minRate: number;
}

/** Rates are rounded to three significant digits, so trials and charts show readable numbers. */
export function roundRate(rate: number): number {
  if (rate <= 0) return 0;
  const scale = 10 ** Math.max(0, Math.floor(Math.log10(rate)) - 2);
  return Math.max(1, Math.round(rate / scale) * scale);
}

/**
 * Runs trials until the highest sustainable rate is known to `precision`. `trial` runs the
 * workload at one rate and says whether it held; `stop()` true ends the search early (Ctrl-C)
 * with what was found so far.
 */
export async function findMaxRate(
  bounds: FindMaxBounds,
  trial: (rate: number) => Promise<TrialOutcome>,
  stop: () => boolean = () => false,
): Promise<FindMaxResult> {
  const trials: TrialOutcome[] = [];
  const tried = new Map<number, TrialOutcome>();
  const run = async (rate: number): Promise<TrialOutcome> => {
    const known = tried.get(rate);
    if (known !== undefined) return known;
    const t = await trial(rate);
    trials.push(t);
    tried.set(rate, t);
    return t;
  };
  let held: number | null = null;
  let failed: TrialOutcome | null = null;

  // Up from the start while rates hold; down from it while they do not.
  let rate = roundRate(Math.min(bounds.startRate, bounds.maxRate));
  const first = await run(rate);
  if (first.sustained) {
    held = rate;
    while (!stop() && held < bounds.maxRate) {
      rate = roundRate(Math.min(held * 2, bounds.maxRate));
      const t = await run(rate);
      if (!t.sustained) {
        failed = t;
        break;
      }
      held = rate;
    }
  } else {
    failed = first;
    while (!stop() && rate / 2 >= bounds.minRate) {
      rate = roundRate(rate / 2);
      const t = await run(rate);
      if (t.sustained) {
        held = rate;
        break;
      }
      failed = t;
    }
  }

  // Bisect between the highest rate that held and the lowest that did not.
  while (!stop() && held !== null && failed !== null && (failed.rate - held) / held > bounds.precision) {
    const mid = roundRate((held + failed.rate) / 2);
    if (mid <= held || mid >= failed.rate) break; // rounding leaves nothing between them
    const t = await run(mid);
    if (t.sustained) held = mid;
    else failed = t;
  }
  return {
    maxRate: held,
    firstFailing: failed,
    trials,
    capped: failed === null && held !== null && held >= bounds.maxRate,
  };
}
