/**
 * What an instance may have left behind: live processes that still use its directory (their
 * command line or working directory names it), found in /proc rather than from the recorded pids,
 * so a child the framework never knew of (an Erlang port program, a forked helper) is found too.
 * Used by the tests and the runner's checks that a run leaves nothing running.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface LeftoverProcess {
  readonly pid: number;
  readonly command: string;
}

/** Live processes (not zombies) whose command line or working directory contains `dir` (Linux). */
export function processesUsing(dir: string): LeftoverProcess[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const found: LeftoverProcess[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (/\) Z /.test(stat)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {}
      if (command.includes(dir) || cwd.startsWith(dir)) found.push({ pid, command: command.slice(0, 200) });
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return found;
}
