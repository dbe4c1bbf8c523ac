import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./in-process.js";

describe("brokerbench worker / run --worker: bad input", () => {
  it("refuses a non-loopback address without a token: one line, exit 2", async () => {
    const r = await runCli("worker", "--listen", "0.0.0.0:0");
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      "brokerbench: --listen 0.0.0.0:0: not a loopback address, so a token is required (--token-file FILE or BROKERBENCH_TOKEN)",
    );
  });

  it("names a --listen that is not HOST:PORT, and an empty token file", async () => {
    expect((await runCli("worker", "--listen", "nowhere")).err).toBe(
      "brokerbench: --listen nowhere: expected HOST:PORT (e.g. 0.0.0.0:7878)",
    );
    const dir = await mkdtemp(join(tmpdir(), "bb-token-"));
    try {
      await writeFile(join(dir, "token"), "\n");
      const r = await runCli("worker", "--listen", "0.0.0.0:0", "--token-file", join(dir, "token"));
      expect(r.code).toBe(2);
      expect(r.err).toBe(`brokerbench: --token-file ${join(dir, "token")}: is empty`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names a --worker that is not HOST:PORT and a bad --workers before anything runs", async () => {
    const bad = await runCli("run", "--worker", "host-without-port", "--report", "none");
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(
      "brokerbench: --worker host-without-port: expected HOST:PORT (a name or an address, and a port)",
    );
    const many = await runCli("run", "--workers", "-1", "--report", "none");
    expect(many.err).toBe("brokerbench: --workers -1: expected a number of local workers (1-64)");
  });
});
