/**
 * Runs a workload's fault list on a clock: at `at` seconds after producing starts each fault's
 * action starts, `duration` seconds later it ends. What a fault does is the runner's business
 * (FaultActions); this module only keeps time, records each start and end in the history and
 * returns the `{kind, target, startS, endS}` entries of results.json.
 */
import { wallMs } from "../../core/clock.js";
import type { FaultSpec } from "../workload/index.js";

export interface FaultActions {
  start(fault: FaultSpec): Promise<void>;
  end(fault: FaultSpec): Promise<void>;
}

export interface FaultRecord {
  readonly kind: string;
  readonly target: string;
  readonly startS: number;
  readonly endS: number;
}

/** Writes a fault's phase into the history (the recorder's `fault` line). */
export type FaultLog = (fault: FaultSpec, phase: "start" | "end") => void;

interface Entry {
  readonly fault: FaultSpec;
  state: "pending" | "active" | "done";
  startedMs: number;
  endedMs: number;
  timer: NodeJS.Timeout | null;
  /** The running start or end action. */
  running: Promise<void>;
}

export class FaultScheduler {
  private readonly entries: Entry[];
  private readonly actions: FaultActions;
  private readonly log: FaultLog;
  private readonly onError: (fault: FaultSpec, err: unknown) => void;
  private startMs = 0;
  private stopped = false;

  constructor(
    faults: readonly FaultSpec[],
    actions: FaultActions,
    log: FaultLog,
    onError: (fault: FaultSpec, err: unknown) => void,
  ) {
    this.entries = faults.map((fault) => ({
      fault,
      state: "pending",
      startedMs: 0,
      endedMs: 0,
      timer: null,
      running: Promise.resolve(),
    }));
    this.actions = actions;
    this.log = log;
    this.onError = onError;
  }

  /** Arms every fault relative to `startMs` (wall-clock ms when producing starts). */
  arm(startMs: number): void {
    this.startMs = startMs;
    for (const e of this.entries) {
      e.timer = setTimeout(() => this.begin(e), Math.max(0, startMs + e.fault.at * 1000 - wallMs()));
    }
  }

  private begin(e: Entry): void {
    if (this.stopped || e.state !== "pending") return;
    e.state = "active";
    e.startedMs = wallMs();
    this.log(e.fault, "start");
    e.running = this.actions.start(e.fault).catch((err: unknown) => this.onError(e.fault, err));
    e.timer = setTimeout(() => void this.finish(e), e.fault.duration * 1000);
  }

  private async finish(e: Entry): Promise<void> {
    if (e.state !== "active") return;
    e.state = "done";
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
    await e.running; // a start still in progress (e.g. a restart) completes first
    e.running = this.actions.end(e.fault).catch((err: unknown) => this.onError(e.fault, err));
    await e.running;
    e.endedMs = wallMs();
    this.log(e.fault, "end");
  }

  /** Faults not yet started never start; active ones end now. Resolves when every action is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const e of this.entries) {
      if (e.state === "pending" && e.timer) clearTimeout(e.timer);
    }
    await Promise.all(this.entries.map((e) => (e.state === "active" ? this.finish(e) : e.running)));
  }

  /** Faults that took place, in seconds since producing started. */
  records(): FaultRecord[] {
    const s = (ms: number) => Math.round(ms - this.startMs) / 1000;
    return this.entries
      .filter((e) => e.state === "done")
      .map((e) => ({
        kind: e.fault.kind,
        target: e.fault.target,
        startS: s(e.startedMs),
        endS: s(e.endedMs),
      }));
  }
}
