/**
 * While producing and draining, four times a second: closes the metrics' time-series seconds,
 * reports progress, and aborts the run when no message was acknowledged for STALL_MS while
 * producing (a stalled broker must not hang the run). Time while a fault is under way does not
 * count: a cluster that refuses writes until a killed leader is back (unclean election off) is the
 * finding, not a stall.
 */
import { wallMs } from "../../core/clock.js";
import type { RunMetrics } from "../metrics/index.js";
import type { Workload } from "../workload/index.js";
import type { RunProgress } from "./options.js";

/** No acknowledgement for this long while producing aborts the run. */
export const STALL_MS = 30_000;
const TICK_MS = 250;

export class RunMonitor {
  /** "producing" until producing ends, then "draining". */
  phase: "producing" | "draining" = "producing";
  private timer: NodeJS.Timeout | null = null;
  private readonly metrics: RunMetrics;
  private readonly report: (phase: RunProgress["phase"], elapsedS: number) => void;
  private readonly onStall: (message: string) => void;
  private readonly faulting: () => boolean;

  constructor(options: {
    metrics: RunMetrics;
    report: (phase: RunProgress["phase"], elapsedS: number) => void;
    /** Called once when producing stalled (the caller aborts the run). */
    onStall: (message: string) => void;
    /** Whether a fault is under way now; default: never. */
    faulting?: () => boolean;
  }) {
    this.metrics = options.metrics;
    this.report = options.report;
    this.onStall = options.onStall;
    this.faulting = options.faulting ?? (() => false);
  }

  start(startMs: number): void {
    let lastAcked = 0;
    let lastAckAt = performance.now();
    let stalled = false;
    this.timer = setInterval(() => {
      const now = wallMs();
      this.metrics.sample(now);
      const acked = this.metrics.ackedMsgs;
      if (acked !== lastAcked || this.faulting()) {
        lastAcked = acked;
        lastAckAt = performance.now();
      } else if (!stalled && this.phase === "producing" && performance.now() - lastAckAt > STALL_MS) {
        stalled = true;
        this.onStall(
          `no message acknowledged for ${STALL_MS / 1000} s outside any fault: the broker stalled`,
        );
      }
      this.report(this.phase, (now - startMs) / 1000);
    }, TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** A progress report of the run's workload at `elapsedS`. */
export function progressOf(
  phase: RunProgress["phase"],
  elapsedS: number,
  w: Workload,
  m: RunMetrics | null,
): RunProgress {
  return {
    phase,
    elapsedS,
    plannedS: w.messages === null ? w.durationS : null,
    plannedMsgs: w.messages,
    sentMsgs: m?.sentMsgs ?? 0,
    ackedMsgs: m?.ackedMsgs ?? 0,
    backlogMsgs: m?.backlog() ?? 0,
  };
}
