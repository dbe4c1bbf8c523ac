/**
 * Runs a workload's fault list on a clock: at `at` seconds after producing starts each fault's
 * action starts, `duration` seconds later it ends, then it settles (an outage: until the run is
 * served again). What a fault does is the caller's business (FaultActions, from the fault table);
 * this module keeps time, keeps colliding faults apart, records each start and end in the history
 * and returns the `{kind, target, startS, endS}` entries of results.json.
 *
 * Collisions: a fault holds resources (`holds`) from its start until it has settled. One that
 * falls due while a fault it collides with still holds them waits for it (`onConflict: wait`, the
 * default) and starts as soon as it is released, or is skipped (`skip`); a fault that could then no
 * longer end before producing does is skipped too. Skipped faults are reported with the reason,
 * never as an error.
 */
import { wallMs } from "../../core/clock.js";
import type { FaultRecord, SkippedFault } from "../../core/results.js";
import type { Recovery } from "./env.js";
import type { FaultSpec, Hold } from "./kinds.js";

export interface FaultActions {
  start(fault: FaultSpec): Promise<void>;
  end(fault: FaultSpec): Promise<void>;
  /** What the fault holds while active; absent: nothing (it collides with no other). */
  holds?(fault: FaultSpec): readonly Hold[];
  /**
   * After the end: resolves with how the run recovered (null: nothing to recover from). Absent, or
   * undefined for this fault: settled when it ends.
   */
  settle?(fault: FaultSpec): Promise<Recovery | null> | undefined;
}

/** What results.json records of a fault that took place (core/results.ts). */
export type { FaultRecord } from "../../core/results.js";

/** Writes a fault's phase into the history (the recorder's `fault` line). */
export type FaultLog = (
  fault: FaultSpec,
  phase: "start" | "end" | "recovered" | "skipped",
  detail?: { readonly healS?: number; readonly recoveryS?: number | null; readonly reason?: string },
) => void;

type State = "pending" | "waiting" | "active" | "ending" | "settling" | "done" | "skipped";

interface Entry {
  readonly fault: FaultSpec;
  readonly holds: readonly Hold[];
  state: State;
  startedMs: number;
  liftedMs: number;
  endedMs: number;
  recovery: Recovery | null;
  skipReason: string | null;
  timer: NodeJS.Timeout | null;
  /** The running start, end or settle action. */
  running: Promise<void>;
  /** The end and settle, once under way. */
  finishing: Promise<void> | null;
}

/** States in which a fault holds its resources. */
const HOLDING: ReadonlySet<State> = new Set(["active", "ending", "settling"]);

/** Timers may fire a little early or late; a fault may end this much after producing does. */
const END_SLACK_MS = 50;

export class FaultScheduler {
  private readonly entries: Entry[];
  private readonly actions: FaultActions;
  private readonly log: FaultLog;
  private readonly onError: (fault: FaultSpec, err: unknown) => void;
  /** Faults waiting for a colliding one, in the order they fell due. */
  private readonly waiting: Entry[] = [];
  private startMs = 0;
  private endMs = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(
    faults: readonly FaultSpec[],
    actions: FaultActions,
    log: FaultLog,
    onError: (fault: FaultSpec, err: unknown) => void,
  ) {
    this.entries = faults.map((fault) => ({
      fault,
      holds: actions.holds?.(fault) ?? [],
      state: "pending",
      startedMs: 0,
      liftedMs: 0,
      endedMs: 0,
      recovery: null,
      skipReason: null,
      timer: null,
      running: Promise.resolve(),
      finishing: null,
    }));
    this.actions = actions;
    this.log = log;
    this.onError = onError;
  }

  /**
   * Arms every fault relative to `startMs` (wall-clock ms when producing starts); `endMs`, when
   * producing ends at a known time, is the latest a (delayed) fault may end.
   */
  arm(startMs: number, endMs: number | null = null): void {
    this.startMs = startMs;
    this.endMs = endMs ?? Number.POSITIVE_INFINITY;
    for (const e of this.entries) {
      e.timer = setTimeout(() => this.due(e), Math.max(0, startMs + e.fault.at * 1000 - wallMs()));
    }
  }

  /** The fault that holds something `e` needs, if any. */
  private blocker(e: Entry): Entry | null {
    for (const other of this.entries) {
      if (other === e || !HOLDING.has(other.state)) continue;
      for (const h of e.holds) {
        if (other.holds.some((o) => o.resource === h.resource && (o.exclusive || h.exclusive))) return other;
      }
    }
    return null;
  }

  private due(e: Entry): void {
    e.timer = null;
    if (this.stopped || e.state !== "pending") return;
    const blocker = this.blocker(e);
    if (blocker === null) {
      this.begin(e);
    } else if (e.fault.onConflict === "skip") {
      this.skip(e, `${describe(blocker)} was still ${blocker.state === "active" ? "active" : "recovering"}`);
    } else {
      e.state = "waiting";
      this.waiting.push(e);
    }
  }

  private begin(e: Entry): void {
    const now = wallMs();
    if (now + e.fault.duration * 1000 > this.endMs + END_SLACK_MS) {
      this.skip(e, "after waiting for a colliding fault it would end after producing ends");
      return;
    }
    e.state = "active";
    e.startedMs = now;
    this.log(e.fault, "start");
    e.running = this.actions.start(e.fault).catch((err: unknown) => this.onError(e.fault, err));
    e.timer = setTimeout(() => void this.finish(e, true), e.fault.duration * 1000);
  }

  private skip(e: Entry, reason: string): void {
    e.state = "skipped";
    e.skipReason = reason;
    this.log(e.fault, "skipped", { reason });
  }

  /** Ends the fault, lets it settle, then releases what it held. */
  private finish(e: Entry, settle: boolean): Promise<void> {
    if (e.finishing !== null) return e.finishing;
    e.finishing = (async () => {
      e.state = "ending";
      if (e.timer) clearTimeout(e.timer);
      e.timer = null;
      await e.running; // a start still in progress (e.g. a restart) completes first
      e.liftedMs = wallMs();
      e.running = this.actions.end(e.fault).catch((err: unknown) => this.onError(e.fault, err));
      await e.running;
      e.endedMs = wallMs();
      this.log(e.fault, "end");
      const settling = settle && !this.stopped ? this.actions.settle?.(e.fault) : undefined;
      if (settling !== undefined) {
        e.state = "settling";
        e.recovery = await settling.catch((err: unknown) => {
          this.onError(e.fault, err);
          return null;
        });
        if (e.recovery !== null) this.log(e.fault, "recovered", recoveryOf(e, e.recovery));
      }
      e.state = "done";
      this.release();
    })();
    return e.finishing;
  }

  /** Starts the waiting faults nothing blocks any longer, in the order they fell due. */
  private release(): void {
    if (this.stopped) return;
    for (const e of [...this.waiting]) {
      if (this.blocker(e) !== null) continue;
      this.waiting.splice(this.waiting.indexOf(e), 1);
      this.begin(e);
    }
  }

  /**
   * Faults not yet started never start (reported as skipped); active ones end now. Resolves when
   * every action is done.
   */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      for (const e of this.entries) {
        if (e.state === "pending") {
          if (e.timer) clearTimeout(e.timer);
          this.skip(e, "producing ended before it was due");
        }
      }
      for (const e of this.waiting.splice(0))
        this.skip(e, "producing ended while it waited for a colliding fault");
    }
    await Promise.all(
      this.entries.map((e) => (e.state === "active" ? this.finish(e, false) : (e.finishing ?? e.running))),
    );
  }

  /** Faults that took place, in seconds since producing started. */
  /** Whether a fault is active, ending or settling now (what it strikes may be down by design). */
  holding(): boolean {
    return this.entries.some((e) => HOLDING.has(e.state));
  }

  records(): FaultRecord[] {
    const s = (ms: number) => Math.round(ms - this.startMs) / 1000;
    return this.entries
      .filter((e) => e.state === "done")
      .map((e) => {
        const delayMs = e.startedMs - (this.startMs + e.fault.at * 1000);
        return {
          kind: e.fault.kind,
          target: e.fault.target,
          startS: s(e.startedMs),
          endS: s(e.endedMs),
          ...(delayMs > END_SLACK_MS ? { delayedS: Math.round(delayMs) / 1000 } : {}),
          ...(e.recovery !== null ? recoveryOf(e, e.recovery) : {}),
        };
      });
  }

  /** Faults that did not take place, and why. */
  skipped(): SkippedFault[] {
    return this.entries
      .filter((e) => e.state === "skipped")
      .map((e) => ({
        kind: e.fault.kind,
        target: e.fault.target,
        atS: e.fault.at,
        reason: e.skipReason ?? "skipped",
      }));
  }
}

function recoveryOf(e: Entry, r: Recovery): { healS: number; recoveryS: number | null } {
  return {
    healS: Math.round(r.healedMs - e.liftedMs) / 1000,
    recoveryS: r.servedMs === null ? null : Math.round(r.servedMs - r.healedMs) / 1000,
  };
}

function describe(e: Entry): string {
  return `${e.fault.kind} on ${e.fault.target} (due at ${e.fault.at} s)`;
}
