/**
 * `brokerbench service` through `main(argv)`, in process, with a temporary BROKERBENCH_HOME. The
 * reference broker is the service actually started here (a second); Kafka's own start is in
 * harness/services/kafka/kafka.test.ts.
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { findOnPath, freePort, serviceNames, stopService } from "../../services/index.js";
import { runCli } from "../test/in-process.js";

const home = mkdtempSync(join(tmpdir(), "bb-service-cli-"));
const saved = { home: process.env.BROKERBENCH_HOME, path: process.env.PATH };

beforeAll(() => {
  process.env.BROKERBENCH_HOME = home;
});
afterAll(async () => {
  await stopService("reference", { wipe: true }).catch(() => {});
  rmSync(home, { recursive: true, force: true });
  process.env.BROKERBENCH_HOME = saved.home;
  if (saved.home === undefined) delete process.env.BROKERBENCH_HOME;
});
afterEach(() => {
  process.env.PATH = saved.path;
  vi.restoreAllMocks();
});

/** A PATH holding only the named programs (links to the real ones). */
function pathWith(...programs: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "bb-path-"));
  for (const p of programs) {
    const real = findOnPath(p, process.env);
    if (real !== null) symlinkSync(real, join(dir, p));
  }
  return dir;
}

/** Every registered service, in registry order (kafka and reference here; more as they are added). */
const known = serviceNames().join(", ");
const hasJavaAndMaven = findOnPath("java", process.env) !== null && findOnPath("mvn", process.env) !== null;

describe("brokerbench service: bad input is one line and exit code 2", () => {
  it("an unknown service names the known ones", async () => {
    const r = await runCli("service", "start", "kafak");
    expect(r).toEqual({
      code: 2,
      out: "",
      err: `brokerbench: unknown service "kafak"; known services: ${known}`,
    });
  });

  it("without java and mvn on PATH: one line naming both", async () => {
    process.env.PATH = "/nonexistent";
    const r = await runCli("service", "start", "kafka", "--port", "0");
    expect(r).toEqual({
      code: 2,
      out: "",
      err: "brokerbench: cannot start kafka: java and mvn are not on PATH",
    });
  });

  it.skipIf(findOnPath("java", process.env) === null)(
    "with java but without mvn (jars not cached yet)",
    async () => {
      process.env.PATH = pathWith("java");
      const r = await runCli("service", "start", "kafka", "--port", "0");
      expect(r).toEqual({ code: 2, out: "", err: "brokerbench: cannot start kafka: mvn is not on PATH" });
    },
  );

  it.skipIf(!hasJavaAndMaven)("a port in use, before any jar is resolved or JVM started", async () => {
    const port = await freePort();
    const holder = createServer().listen(port, "127.0.0.1");
    await new Promise((r) => holder.once("listening", r));
    try {
      const started = Date.now();
      const r = await runCli("service", "start", "kafka", "--port", String(port));
      expect(r).toEqual({
        code: 2,
        out: "",
        err: `brokerbench: cannot start kafka: 127.0.0.1:${port} (client port) is already in use; pick another --port or stop what listens there`,
      });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      holder.close();
    }
  });

  it.each([
    [["service", "start", "kafka", "--wipe"], "service start: --wipe goes with stop"],
    [["service", "stop", "kafka", "--port", "1"], "service stop: --port goes with start"],
    [["service", "start"], `service start: name a service; known services: ${known}`],
    [["service", "status", "kafka"], 'service status takes no name (got "kafka")'],
    [
      ["service", "start", "kafka", "--profile", "fast"],
      'kafka has no profile "fast"; profiles: default, durable',
    ],
    [["service", "start", "kafka", "--nodes", "3"], "kafka starts 1 node(s), not 3"],
    [["service", "start", "kafka", "--port", "70000"], "--port must be 0-65535 (got 70000)"],
    [["service", "stop", "nope"], `no service or instance "nope"; known services: ${known}`],
    [
      ["service", "start", "reference", "--data-dir", "/etc/passwd/data"],
      "--data-dir /etc/passwd/data cannot be created (ENOTDIR)",
    ],
  ])("%j", async (argv, message) => {
    const r = await runCli(...argv);
    expect(r).toEqual({ code: 2, out: "", err: `brokerbench: ${message}` });
  });

  it("an unknown action is refused by the parser", async () => {
    const r = await runCli("service", "restart", "kafka");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /Invalid values:[\s\S]*Argument: action, Given: "restart", Choices: "start", "stop", "status", "list"/,
    );
  });
});

describe("brokerbench service list, start, status, stop", () => {
  it("list: each definition with its adapters, port, profiles and whether this machine can start it", async () => {
    process.env.PATH = "/nonexistent";
    const r = await runCli("service", "list");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^service\s+adapters\s+port\s+profiles\s+can start\s+description$/m);
    expect(r.out).toMatch(
      /^kafka\s+kafka\s+9092\s+default, durable\s+no: java and mvn are not on PATH\s+Apache Kafka 4\.4\.0/m,
    );
  });

  it("stop of a service that never ran: says so, exit 0", async () => {
    const r = await runCli("service", "stop", "kafka");
    expect(r).toEqual({ code: 0, out: "kafka is not running", err: "" });
  });

  it("status with nothing started", async () => {
    const r = await runCli("service", "status");
    expect(r).toEqual({ code: 0, out: `no services (state in ${home}/services)`, err: "" });
  });

  it("start prints the address and how to use it; status lists it; stop and --wipe", async () => {
    const start = await runCli("service", "start", "reference");
    expect(start.code).toBe(0);
    const m = /^reference ready at 127\.0\.0\.1:(\d+) in \d+\.\d s \(pid (\d+), profile default\)$/m.exec(
      start.out,
    );
    expect(m, start.out + start.err).not.toBeNull();
    const [, port, pid] = m!;
    expect(start.out).toContain(`  use   --set reference.url=127.0.0.1:${port}`);
    expect(start.out).toContain(`  data  ${home}/services/reference/data/node-1`);

    const again = await runCli("service", "start", "reference");
    expect(again).toEqual({
      code: 0,
      out: `reference already runs at 127.0.0.1:${port} (pid ${pid}); stop it first to start it with other options`,
      err: "",
    });

    const status = await runCli("service", "status");
    expect(status.out).toMatch(
      new RegExp(
        `^reference\\s+reference\\s+running\\s+127\\.0\\.0\\.1:${port}\\s+${pid}\\s+default\\s+\\S+Z\\s+`,
        "m",
      ),
    );

    const stop = await runCli("service", "stop", "reference");
    expect(stop.code).toBe(0);
    expect(stop.out).toMatch(
      /^reference stopped in \d+\.\d s; data kept in .*services\/reference\/data \(--wipe removes it\)$/,
    );
    expect((await runCli("service", "status")).out).toMatch(/^reference\s+reference\s+stopped\s+/m);

    const wipe = await runCli("service", "stop", "reference", "--wipe");
    expect(wipe).toEqual({ code: 0, out: "reference was not running (stopped); data removed", err: "" });
    expect((await runCli("service", "status")).out).toMatch(/^no services/);
  });
});
