/**
 * Stream ids as history offsets. A Redis stream id is "<ms>-<seq>" (server milliseconds and a
 * sequence within that millisecond); the history needs one safe integer per entry that keeps the
 * stream's order and never maps two ids to one number.
 *
 * ms × 2^20 + seq does not fit in 2^53 for present-day ms (~2^41). So offsets are counted from a
 * per-topic base: (ms − baseMs) × 2^20 + seq, with baseMs the server time when brokerbench created
 * the stream (kept in Redis beside it, so every process maps alike). That is exact for 2^33 ms
 * (≈ 99 days) after creation and up to 2^20 entries in one millisecond — far beyond what one
 * Redis server adds. An id outside that range (or a stream brokerbench did not create) maps to
 * `null`: no offset is better than a wrong one.
 */

export const SEQ_BITS = 20;
const SEQ_SPAN = 2 ** SEQ_BITS;
const MS_SPAN = 2 ** (53 - SEQ_BITS);

export interface StreamId {
  readonly ms: number;
  readonly seq: number;
}

export function parseStreamId(id: string): StreamId {
  const dash = id.indexOf("-");
  const ms = Number(dash < 0 ? id : id.slice(0, dash));
  const seq = dash < 0 ? 0 : Number(id.slice(dash + 1));
  if (!Number.isSafeInteger(ms) || !Number.isSafeInteger(seq) || ms < 0 || seq < 0) {
    throw new Error(`not a stream id: ${id}`);
  }
  return { ms, seq };
}

/** The history offset of a stream id, or null when it is outside the exact range (or there is no base). */
export function offsetOf(id: string, baseMs: number | null): number | null {
  if (baseMs === null) return null;
  const { ms, seq } = parseStreamId(id);
  const rel = ms - baseMs;
  if (rel < 0 || rel >= MS_SPAN || seq >= SEQ_SPAN) return null;
  return rel * SEQ_SPAN + seq;
}

/** The stream id of a history offset (for seeks and XRANGE). */
export function streamIdOf(offset: number, baseMs: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`not an offset: ${offset}`);
  const seq = offset % SEQ_SPAN;
  const rel = (offset - seq) / SEQ_SPAN;
  return `${baseMs + rel}-${seq}`;
}
