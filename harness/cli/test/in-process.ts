/** The CLI run in the test's own process (`main(argv)`), with what it printed captured. */
import { vi } from "vitest";
import { main } from "../cli.js";

/** Runs `brokerbench <argv>` in process; the exit code and its stdout and stderr lines, joined. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  try {
    const code = await main(argv);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
