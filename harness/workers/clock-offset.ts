/**
 * A worker's clock against the coordinator's, NTP-style: for each round trip the coordinator reads
 * its clock before (t0) and after (t1) asking the worker's (tw); the worker read its clock somewhere
 * in between, so its offset is tw − (t0 + t1) / 2 within ± (t1 − t0) / 2. The round trip with the
 * smallest delay bounds it best.
 */
export interface ClockSample {
  readonly t0: number;
  readonly tw: number;
  readonly t1: number;
}

export interface ClockOffset {
  /** The worker's clock minus the coordinator's, in ms. */
  readonly offsetMs: number;
  /** How far the true offset may be from `offsetMs` (half the best round trip), in ms. */
  readonly uncertaintyMs: number;
  readonly roundTripMs: number;
}

export function estimateOffset(samples: readonly ClockSample[]): ClockOffset {
  if (samples.length === 0) throw new Error("no clock samples");
  let best = samples[0]!;
  for (const s of samples) if (s.t1 - s.t0 < best.t1 - best.t0) best = s;
  const roundTripMs = best.t1 - best.t0;
  return { offsetMs: best.tw - (best.t0 + best.t1) / 2, uncertaintyMs: roundTripMs / 2, roundTripMs };
}

/**
 * What the coordinator does with a worker's offset: an offset within its own uncertainty is not
 * told apart from none (left uncorrected); a larger one is corrected (the worker's clock then reads
 * the coordinator's); an offset known less precisely than `boundMs` cannot be corrected well enough
 * for end-to-end latency across hosts, and the run is refused.
 */
export function clockDecision(
  o: ClockOffset,
  boundMs: number,
): { readonly correctionMs: number } | { readonly refusal: string } {
  if (o.uncertaintyMs > boundMs)
    return {
      refusal:
        `its clock is known only within ±${o.uncertaintyMs.toFixed(2)} ms (round trip ${o.roundTripMs.toFixed(2)} ms), ` +
        `more than the bound ${boundMs} ms (--clock-bound-ms)`,
    };
  return { correctionMs: Math.abs(o.offsetMs) <= o.uncertaintyMs ? 0 : o.offsetMs };
}
