/**
 * Processes named by pid, which may belong to another invocation. A pid alone can be reused by an
 * unrelated process after ours died, so each is recorded with its start time (Linux
 * /proc/<pid>/stat, field 22) and only signalled while both still match. Nodes are started as
 * session leaders, so a signal goes to the whole process group (a wrapper script and its JVM alike).
 */
import { readFileSync } from "node:fs";

/** A process as recorded in state.json. `startTime` null: not knowable here (no /proc). */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: string | null;
}

/** `gone` covers exited, reaped or not, and a pid now used by another process. */
export type ProcessCondition = "running" | "paused" | "gone";

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** The process's start time in clock ticks since boot, or null where /proc is not available. */
export function processStartTime(pid: number): string | null {
  // After the name: state is field 3, starttime field 22, so index 19 here.
  return statFields(pid)?.[19] ?? null;
}

function signalZeroWorks(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function processCondition(p: ProcessIdentity): ProcessCondition {
  const fields = statFields(p.pid);
  if (fields === null) {
    // No /proc entry: gone on Linux; elsewhere all we can ask is whether the pid exists.
    return process.platform !== "linux" && signalZeroWorks(p.pid) ? "running" : "gone";
  }
  const [state] = fields;
  if (state === "Z" || state === "X" || state === "x") return "gone";
  if (p.startTime !== null && fields[19] !== p.startTime) return "gone";
  return state === "T" || state === "t" ? "paused" : "running";
}

/** Sends `signal` to the process's group, if it is still the recorded process. False: it was gone. */
export function signalProcess(p: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (processCondition(p) === "gone") return false;
  try {
    process.kill(-p.pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    // Not a group leader (started by something else): the process alone.
    try {
      process.kill(p.pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves true once the process is gone, false if it still runs after `timeoutMs`. */
export async function waitGone(p: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (processCondition(p) === "gone") return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

/**
 * SIGTERM (and SIGCONT, as a paused process cannot act on it), then SIGKILL after `graceMs`.
 * Resolves how it ended: `term` clean, `kill` forced, `gone` it was not running.
 */
export async function terminate(p: ProcessIdentity, graceMs: number): Promise<"term" | "kill" | "gone"> {
  if (!signalProcess(p, "SIGTERM")) return "gone";
  signalProcess(p, "SIGCONT");
  if (await waitGone(p, graceMs)) return "term";
  signalProcess(p, "SIGKILL");
  await waitGone(p, 10_000);
  return "kill";
}
