/**
 * The Node flags a reference broker process starts with. brokerbench passes them wherever it starts
 * one (`brokerbench service start reference`, `server: spawn`, the benchmarks); a broker started by
 * hand takes them on node's own command line (`node --initial-old-space-size=128
 * node_modules/.bin/brokerbench broker …`): NODE_OPTIONS refuses this flag.
 *
 * Why: a broker's own heap is small (~9 MB at 300 k msg/s; the messages live in Buffers outside
 * it), and V8 sizes the old generation's first limit from it: every ~100 ms the limit's slack fell
 * below the young generation's capacity and a full mark-compact ran (2–10 ms pauses, ~50 in a 10 s
 * run, 10–20 % of the broker's CPU). With the old generation starting at 128 MB: 4 mark-compacts in
 * the same run, end-to-end p99 without coordinated-omission correction 7.5 → 3.5 ms. Measured
 * through the harness over TCP at 300 k msg/s; v8.setFlagsFromString after start has no effect.
 */
export const BROKER_NODE_FLAGS: readonly string[] = ["--initial-old-space-size=128"];
