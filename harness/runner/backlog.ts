/**
 * Backlog mode (workload `backlogBytes`; OpenMessaging Benchmark's `consumerBacklogSizeGB`): after
 * warmup every consumer is held back while the producers go on at their rate, until the backlog
 * (acknowledged and not yet consumed, summed over groups, in bytes) reaches the size; then the
 * consumers are released and the drain is measured, until the backlog is down to what
 * `backlogDrainRatio` allows; producing then goes on for the workload's measured time
 * (durationS − warmupS), as OMB's test does after a drain.
 */
import { wallMs } from "../../core/clock.js";
import type { BacklogReport } from "../../core/results.js";
import type { RunSession } from "./setup.js";

/** How often the backlog is looked at while it builds and drains. */
const POLL_MS = 20;
/** A drained backlog may keep this many messages (OMB keeps 1,000), never more than a tenth of it. */
const DRAINED_FLOOR_MSGS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class BacklogMode {
  private readonly session: RunSession;
  private readonly startMs: number;
  private readonly targetBytes: number;
  private endAtMs = Number.POSITIVE_INFINITY;
  private heldMs: number | null = null;
  private releasedMs: number | null = null;
  private drainedMs: number | null = null;
  private peakMsgs = 0;
  private deliveredAtRelease = 0;
  private deliveredAtDrained = 0;
  private stopped = false;

  constructor(session: RunSession, startMs: number, targetBytes: number) {
    this.session = session;
    this.startMs = startMs;
    this.targetBytes = targetBytes;
  }

  /** When producing ends (wall-clock ms): not known until the backlog has drained. */
  endMs(): number {
    return this.endAtMs;
  }

  private get targetMsgs(): number {
    return Math.ceil(this.targetBytes / this.session.plan.workload.messageSize);
  }

  /** The backlog level counted as drained. */
  private get drainedLevel(): number {
    const w = this.session.plan.workload;
    const left = Math.floor((1 - w.backlogDrainRatio) * this.targetMsgs);
    return Math.max(left, Math.min(DRAINED_FLOOR_MSGS, Math.floor(this.targetMsgs / 10)));
  }

  private delivered(): number {
    const { metrics, clients } = this.session;
    return clients.groups.reduce((sum, g) => sum + metrics.deliveredTo(g.index), 0);
  }

  /** Holds, builds, releases, drains; resolves when producing's end is known (or the run failed). */
  async run(): Promise<void> {
    const { plan, metrics, clients, log } = this.session;
    const w = plan.workload;
    const timeoutMs = w.backlogTimeoutS * 1000;
    await sleep(Math.max(0, this.startMs + w.warmupS * 1000 - wallMs()));
    if (this.over()) return this.give();
    this.heldMs = wallMs();
    clients.holdConsumers();
    while (metrics.backlog() * w.messageSize < this.targetBytes) {
      this.peakMsgs = Math.max(this.peakMsgs, metrics.backlog());
      if (this.over()) return this.give();
      if (wallMs() - this.heldMs > timeoutMs) {
        log.fail(
          `backlog mode: ${this.targetBytes} bytes of backlog not reached within backlogTimeoutS ${w.backlogTimeoutS} ` +
            `(${metrics.backlog() * w.messageSize} bytes); raise the rate or lower the size (--backlog-scale)`,
        );
        return this.give();
      }
      await sleep(POLL_MS);
    }
    this.peakMsgs = Math.max(this.peakMsgs, metrics.backlog());
    this.releasedMs = wallMs();
    this.deliveredAtRelease = this.delivered();
    clients.releaseConsumers();
    while (metrics.backlog() > this.drainedLevel) {
      if (this.over()) return this.give();
      if (wallMs() - this.releasedMs > timeoutMs) {
        log.fail(
          `backlog mode: the backlog did not drain to ${this.drainedLevel} message(s) within backlogTimeoutS ` +
            `${w.backlogTimeoutS} (${metrics.backlog()} left): the consumers do not keep up with the producers`,
        );
        return this.give();
      }
      await sleep(POLL_MS);
    }
    this.drainedMs = wallMs();
    this.deliveredAtDrained = this.delivered();
    this.endAtMs = this.drainedMs + (w.durationS - w.warmupS) * 1000;
  }

  /** Producing ended before the backlog drained (every producer failed): give up waiting. */
  stop(): void {
    this.stopped = true;
  }

  private over(): boolean {
    return this.stopped || this.session.ctx.abort.aborted;
  }

  /** Gives up: consumers read again and producing ends now. */
  private give(): void {
    this.session.clients.releaseConsumers();
    this.endAtMs = Math.min(this.endAtMs, wallMs());
  }

  /** results.json `backlogMode`. */
  report(): BacklogReport {
    const s = (ms: number | null) => (ms === null ? null : Math.round(ms - this.startMs) / 1000);
    const drainS =
      this.releasedMs !== null && this.drainedMs !== null ? (this.drainedMs - this.releasedMs) / 1000 : null;
    return {
      targetBytes: this.targetBytes,
      targetMsgs: this.targetMsgs,
      drainRatio: this.session.plan.workload.backlogDrainRatio,
      drainedLevelMsgs: this.drainedLevel,
      heldAtS: s(this.heldMs),
      releasedAtS: s(this.releasedMs),
      drainedAtS: s(this.drainedMs),
      peakMsgs: this.peakMsgs,
      drainS: drainS === null ? null : Math.round(drainS * 1000) / 1000,
      drainConsumeMsgsPerSec:
        drainS === null || drainS <= 0
          ? null
          : Math.round((this.deliveredAtDrained - this.deliveredAtRelease) / drainS),
    };
  }
}
