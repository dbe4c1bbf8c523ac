/**
 * Clocks. `wallMs` is comparable across processes on one machine (payload timestamps, end-to-end
 * latency); `monoNs` is the recorder's monotonic clock for history `time` fields.
 */
const origin = performance.timeOrigin;

/** Milliseconds since the Unix epoch with sub-millisecond precision, comparable across processes. */
export function wallMs(): number {
  return origin + performance.now();
}

/** Monotonic nanoseconds as a safe integer (exact for ~104 days of process uptime). */
export function monoNs(): number {
  return Math.round(performance.now() * 1e6);
}
