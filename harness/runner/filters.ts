/**
 * Workload `filters: N` (the filtering suite): every consumer subscribes with N patterns instead of
 * the topics, exactly one of which matches the run's topics, so the broker tests each message
 * against N subscriptions of which N − 1 never match. Topic names are then in the neutral pattern
 * syntax (adapters/patterns.ts): `bb-<nonce>.t.<i>`, matched by `bb-<nonce>.t.>`; the others are
 * `bb-<nonce>.o<k>.>`. Only `>` is used, so that Redis globs can express every pattern. Every name
 * starts with the run's prefix `bb-<nonce>` (RESOURCE_PREFIX), so `brokerbench clean` finds it.
 */

/** The run's topic names under `filters` > 0. */
export function filterTopicNames(nonce: string, topics: number): string[] {
  return Array.from({ length: topics }, (_, i) => `bb-${nonce}.t.${i}`);
}

/** The patterns one consumer subscribes with: the matching one first, then N − 1 that never match. */
export function filterPatterns(nonce: string, filters: number): string[] {
  const others = Array.from({ length: Math.max(0, filters - 1) }, (_, k) => `bb-${nonce}.o${k}.>`);
  return [`bb-${nonce}.t.>`, ...others];
}

/** What `createConsumer` gets besides the topics: `{ patterns }` under `filters` > 0, else nothing. */
export function filterSubscription(filters: number, nonce: string): { patterns?: readonly string[] } {
  return filters > 0 ? { patterns: filterPatterns(nonce, filters) } : {};
}
