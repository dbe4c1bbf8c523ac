/** `brokerbench broker`: bad input is one line and exit 2, never a stack trace (issue 11, defect 4). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";

const dir = mkdtempSync(join(tmpdir(), "bb-broker-cli-"));

async function cli(...argv: string[]): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  vi.spyOn(console, "log").mockImplementation(() => {});
  return { code: await main(argv), err };
}

afterEach(() => vi.restoreAllMocks());

describe("brokerbench broker", () => {
  it("--data-dir naming a file, or a path through a file", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const r = await cli("broker", "--port", "0", "--data-dir", file);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      `brokerbench: --data-dir ${file}: is a file, not a directory; name a directory for the logs`,
    ]);
    const under = await cli("broker", "--port", "0", "--data-dir", join(file, "logs"));
    expect(under.code).toBe(2);
    expect(under.err).toHaveLength(1);
    expect(under.err[0]).toMatch(/cannot create or write it \(a part of the path is a file\)$/);
    if (process.platform === "linux") {
      const proc = await cli("broker", "--port", "0", "--data-dir", "/proc/brokerbench-nope");
      expect(proc.code).toBe(2);
      expect(proc.err[0]).toMatch(/--data-dir \/proc\/brokerbench-nope: cannot create or write it \(ENOENT/);
    }
  });

  it("--host that does not resolve", async () => {
    const r = await cli(
      "broker",
      "--port",
      "0",
      "--host",
      "no-such-host.invalid",
      "--data-dir",
      join(dir, "d"),
    );
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      expect.stringMatching(
        /^brokerbench: --host no-such-host\.invalid: cannot resolve that name \((ENOTFOUND|EAI_AGAIN)\)$/,
      ),
    ]);
  });
});
