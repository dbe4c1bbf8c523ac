/**
 * A progress bar on a terminal (cli-progress, on stderr so stdout stays the summary); nothing at
 * all when stderr is not a TTY (CI logs, pipes).
 */
import { SingleBar } from "cli-progress";
import type { RunProgress } from "../runner/index.js";

export interface ProgressDisplay {
  update(p: RunProgress): void;
  stop(): void;
}

const QUIET: ProgressDisplay = { update() {}, stop() {} };

export function progressDisplay(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  if (!stream.isTTY) return QUIET;
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {phase} | {acked} acked | backlog {backlog}`,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 24,
  });
  let started = false;
  return {
    update(p) {
      const total = p.plannedMsgs ?? Math.max(1, Math.round((p.plannedS ?? 1) * 10));
      const value = p.plannedMsgs !== null ? p.ackedMsgs : Math.round(p.elapsedS * 10);
      const payload = { phase: p.phase, acked: p.ackedMsgs.toLocaleString("en-US"), backlog: p.backlogMsgs };
      if (!started) {
        bar.start(total, 0, payload);
        started = true;
      }
      bar.update(Math.min(total, Math.max(0, value)), payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
