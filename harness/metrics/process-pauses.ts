/**
 * How long the harness's own process stood still during the measured window: its event loop's
 * delay and its garbage collections' pauses. End-to-end latency is measured from the intended send
 * time, so a pause of the harness (its producers late, its consumers not reading) is reported as
 * latency like a pause of the broker; these figures let a reader tell the two apart. Over TCP at
 * 315 k msg/s (the reference broker, batches of 100, 4 in flight) the harness's scavenges of 2–5 ms
 * and event-loop stalls of 5–12 ms sat inside a good part of the producer's stall windows, next to
 * the broker's own (README, "the half-rate tail").
 *
 * Embedded, the broker runs in this process, so its pauses are in these figures too.
 */
import { type IntervalHistogram, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import type { ProcessPauses } from "../../core/results.js";

/** The event-loop delay histogram's resolution: a pause shorter than this is not seen. */
const RESOLUTION_MS = 1;
const NS_PER_MS = 1e6;

/** The longest the harness stood still (event loop or GC): latency of that size may be its own. */
export function longestPauseMs(p: ProcessPauses): number {
  return Math.max(p.eventLoopDelayMs.max, p.gc.maxMs);
}

export class PauseMonitor {
  private readonly loop: IntervalHistogram;
  private readonly gcObserver: PerformanceObserver;
  private gcCount = 0;
  private gcTotalMs = 0;
  private gcMaxMs = 0;
  private measuring = false;
  private startTimer: NodeJS.Timeout | null = null;

  constructor() {
    this.loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.gcObserver = new PerformanceObserver((list) => {
      if (!this.measuring) return;
      for (const entry of list.getEntries()) {
        this.gcCount++;
        this.gcTotalMs += entry.duration;
        if (entry.duration > this.gcMaxMs) this.gcMaxMs = entry.duration;
      }
    });
  }

  /** Starts measuring after `delayMs` (the warmup, left out as the message figures leave it out). */
  beginAfter(delayMs: number): void {
    const begin = () => {
      this.startTimer = null;
      this.measuring = true;
      this.loop.enable();
      this.gcObserver.observe({ entryTypes: ["gc"] });
    };
    if (delayMs <= 0) begin();
    else {
      this.startTimer = setTimeout(begin, delayMs);
      this.startTimer.unref();
    }
  }

  /** Stops measuring; null when the window never began (a run that ended within its warmup). */
  end(): ProcessPauses | null {
    if (this.startTimer !== null) clearTimeout(this.startTimer);
    this.startTimer = null;
    if (!this.measuring) return null;
    this.measuring = false;
    this.loop.disable();
    this.gcObserver.disconnect();
    // The histogram holds the whole time between ticks (an idle loop's p50 is just over the
    // resolution), so the resolution comes off: what is left is how late each tick was. With no
    // tick recorded (a window shorter than one) its max is a sentinel: 0 is reported.
    const empty = this.loop.count === 0;
    const late = (ns: number) => (empty ? 0 : Math.max(0, ns / NS_PER_MS - RESOLUTION_MS));
    return {
      eventLoopDelayMs: {
        p50: late(this.loop.percentile(50)),
        p99: late(this.loop.percentile(99)),
        max: late(this.loop.max),
      },
      gc: { count: this.gcCount, totalMs: this.gcTotalMs, maxMs: this.gcMaxMs },
    };
  }
}
