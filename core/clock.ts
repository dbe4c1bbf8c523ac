/**
 * Clocks. `wallMs` is comparable across processes on one machine (payload timestamps, end-to-end
 * latency), and across hosts once a worker has taken the coordinator's offset
 * (`adoptClockOffset`): a message stamped by one worker and received by another is then timed on
 * one clock. `monoNs` is the recorder's monotonic clock for history `time` fields.
 */
const origin = performance.timeOrigin;
/** Subtracted from this host's clock: a worker's offset from its coordinator (0 elsewhere). */
let offsetMs = 0;

/** Milliseconds since the Unix epoch with sub-millisecond precision, comparable across processes. */
export function wallMs(): number {
  return origin + performance.now() - offsetMs;
}

/** This host's own clock, without an adopted offset (what a coordinator's clock check reads). */
export function hostWallMs(): number {
  return origin + performance.now();
}

/**
 * From now on `wallMs` reads the coordinator's clock: this host's minus `ms` (a worker process
 * serves one coordinator at a time, so the offset is the process's).
 */
export function adoptClockOffset(ms: number): void {
  offsetMs = ms;
}

/** Monotonic nanoseconds as a safe integer (exact for ~104 days of process uptime). */
export function monoNs(): number {
  return Math.round(performance.now() * 1e6);
}
