/**
 * The Node flags a reference broker process starts with. brokerbench passes them wherever it starts
 * one (`brokerbench service start reference`, `server: spawn`, the benchmarks); a broker started by
 * hand takes them on node's own command line (`node --initial-old-space-size=128
 * node_modules/.bin/brokerbench broker …`): NODE_OPTIONS refuses this flag.
 *
 * Why: a broker's own heap is small (~9 MB at 300 k msg/s; the messages live in Buffers outside
 * it), and with the default sizing V8 kept starting incremental marking far below its limit
 * (`--trace-incremental-marking`: "Start (task)" at 9 of 33 MB) and ran a full mark-compact about
 * every 100 ms: ~50 in a 10 s run, pauses of 2–10 ms, 10–20 % of the broker's CPU. With the old
 * generation starting at 128 MB: 4 mark-compacts in the same run, and the end-to-end p99 from the
 * actual send 7.5 → 3.5 ms. Measured through the harness over TCP at 300 k msg/s; a smaller young
 * generation did not help, and v8.setFlagsFromString after start has no effect.
 */
export const BROKER_NODE_FLAGS: readonly string[] = ["--initial-old-space-size=128"];
