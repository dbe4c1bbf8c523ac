/**
 * How a distributed run is split over its workers (as OpenMessaging Benchmark splits a test):
 * the producers and the consumer slots are dealt out in turn, so each worker gets an equal share
 * (±1) and a group with several consumers is spread over workers; each worker's history process
 * ids live in their own range, so that ids, and the message ids built from them, never collide.
 */
import type { RunSegment } from "../runner/index.js";
import type { Workload } from "../workload/index.js";

/** Worker k's process ids are k · PROCESS_STRIDE + 1 …: room for any workload's producer lanes and consumers. */
export const PROCESS_STRIDE = 100_000;

/** Segment k of `workers`: producer i and consumer slot s go to worker i mod n and s mod n. */
export function planSegments(w: Workload, workers: number, nonce: string): RunSegment[] {
  const producers = w.topics * w.producersPerTopic;
  const slots = w.groups * w.consumersPerGroup;
  return Array.from({ length: workers }, (_, k) => ({
    nonce,
    producers: range(producers).filter((i) => i % workers === k),
    consumerSlots: range(slots).filter((s) => s % workers === k),
    processBase: k * PROCESS_STRIDE,
  }));
}

/**
 * Why a workload cannot be split over workers, or null. What needs one process's view of the
 * whole run (faults on its clients, a late group, reacting consumers, the backlog mode's hold,
 * predicates counted per group, a pipeline, a broker the run starts itself) is refused.
 */
export function distributedRefusal(w: Workload, workers: number): string | null {
  const producers = w.topics * w.producersPerTopic;
  const why =
    w.kind === "pipeline"
      ? "a pipeline"
      : w.faults.length > 0
        ? "faults"
        : w.lateGroup !== null
          ? "a late group"
          : w.reactors !== null
            ? "reactors"
            : w.backlogBytes !== null
              ? "backlog mode"
              : w.predicates !== null
                ? "predicates"
                : w.server === "spawn"
                  ? "server: spawn"
                  : null;
  if (why !== null) return `a workload with ${why} runs in one process only (not with workers)`;
  // Half the range for the first processes, half for those that replace them (a failed commit).
  if (producers * w.inFlight + w.groups * w.consumersPerGroup >= PROCESS_STRIDE / 2)
    return `too many producer lanes and consumers for one worker's range of process ids (${PROCESS_STRIDE})`;
  if (producers < workers)
    return (
      `${producers} producer(s) for ${workers} workers: each worker needs at least one ` +
      "(raise producersPerTopic or topics)"
    );
  return null;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
