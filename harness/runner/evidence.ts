/**
 * Whether a run that went through measured anything a figure or a verdict can rest on. A run whose
 * every (or most) send failed, that delivered nothing, or whose every message fell inside the
 * warmup is not "completed, valid": it is `inconclusive`, with the reason (issue 11, defect 1).
 */
import type { MetricsSummary } from "../metrics/index.js";
import type { Workload } from "../workload/index.js";

/** More than this share of the messages sent not acknowledged: "most sends failed". */
export const MOST = 0.5;

/**
 * Why the run has no evidence, or null when it has. `firstSendFailure`: the first failed send's
 * error (the broker's reason: MAX_PAYLOAD_EXCEEDED, a frame too large, ...).
 */
export function missingEvidence(
  s: MetricsSummary,
  w: Workload,
  firstSendFailure: string | null,
): string | null {
  const why = firstSendFailure === null ? "" : ` (first error: ${firstSendFailure})`;
  const notAcked = s.sentMsgs - s.ackedMsgs;
  if (s.sentMsgs === 0) return "nothing was sent";
  if (s.ackedMsgs === 0) return `every send failed: ${s.sentMsgs} of ${s.sentMsgs} message(s)${why}`;
  if (notAcked > MOST * s.sentMsgs)
    return `most sends failed: ${notAcked} of ${s.sentMsgs} message(s) not acknowledged${why}`;
  const delivered = Object.values(s.deliveredMsgs).reduce((a, b) => a + b, 0);
  if (delivered === 0)
    return `nothing was delivered: ${s.ackedMsgs} message(s) acknowledged, none received by any group`;
  if (s.latency.publish.corrected.count === 0 && s.latency.endToEnd.corrected.count === 0)
    return (
      `every message fell inside the warmup (${w.warmupS} s): nothing was measured; ` +
      "send for longer (--duration, --messages) or lower warmupS"
    );
  return null;
}

/**
 * Why a run that went through is `inconclusive`, or null: its missing evidence, unless the checker
 * found a forbidden anomaly (INVALID is evidence enough); a clean verdict over nothing is not.
 */
export function inconclusiveReason(
  s: MetricsSummary,
  w: Workload,
  firstSendFailure: string | null,
  verdict: { readonly valid: boolean } | null,
): string | null {
  if (verdict !== null && !verdict.valid) return null;
  return missingEvidence(s, w, firstSendFailure);
}
