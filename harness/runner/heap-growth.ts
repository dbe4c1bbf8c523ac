/**
 * How far the harness process's old generation may grow after each full collection before the
 * next one: to 3× what was live (V8's `--heap-growing-percent=200`), instead of V8's own factor.
 *
 * Why: a run leaves its process with little live data, and the full collection V8 makes when it
 * ends (or goes idle between runs) sets the next limit from that. From the second run of a process
 * on (a suite, the benchmarks), the client then ran 5–13 mark-compacts a run with incremental
 * marking steps of up to 9 ms, and those pauses were the latency tail: the reference broker over
 * TCP at 315 k msg/s, 4 s runs, several runs in one process: e2e p99 (from the intended send) of
 * the runs after the first 11.9–23.2 ms with V8's factor (11 runs); at 200 % 4.5–10.7 ms (0–1
 * mark-compacts a run), at 100 % 5.9–8.2, at 300 % 4.5–8.4. The first run of a process, before
 * any full collection, was 4.5–10.5 ms either way (once 119 ms). The cost is memory: up to 3× the
 * live heap (tens of MB for the harness) between collections.
 *
 * V8 reads this flag whenever it sets a limit, so setting it at run time takes effect (Node refuses
 * heap-size flags in NODE_OPTIONS, and the CLI cannot re-exec itself without changing its pid).
 */
import v8 from "node:v8";

export const HEAP_GROWING_PERCENT = 200;

let applied = false;

/** Sets the harness process's heap growth (once per process; later calls do nothing). */
export function tuneHarnessHeap(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
