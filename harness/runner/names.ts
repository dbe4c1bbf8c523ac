/**
 * What a run names on the broker. Every name starts with the run's prefix `bb-<nonce>`
 * (RESOURCE_PREFIX, then a nonce fresh for each run): so `brokerbench clean` finds whatever a run
 * left (every `bb-` name), and an interrupted run removes its own (`bb-<nonce>`) and nothing else.
 * The history keeps the workload's group names (g1, g2, late); the broker sees them prefixed.
 */
import { RESOURCE_PREFIX } from "../../adapters/contract.js";
import { filterTopicNames } from "./filters.js";

/** The prefix of every name this run creates. */
export function runPrefix(nonce: string): string {
  return `${RESOURCE_PREFIX}${nonce}`;
}

/** The run's topics: `bb-<nonce>-<i>`, or under `filters` the pattern-friendly `bb-<nonce>.t.<i>`. */
export function topicNames(nonce: string, topics: number, filters: number): string[] {
  return filters > 0
    ? filterTopicNames(nonce, topics)
    : Array.from({ length: topics }, (_, i) => `${runPrefix(nonce)}-${i}`);
}

/** A group's name on the broker (consumer group, queue, durable): `bb-<nonce>-<group>`. */
export function brokerGroupName(nonce: string, group: string): string {
  return `${runPrefix(nonce)}-${group}`;
}
