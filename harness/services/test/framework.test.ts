/**
 * The framework on real processes: the reference broker as a service (starts in about a second),
 * and small node scripts for the ways a start fails. Every instance lives in a temporary
 * BROKERBENCH_HOME and is stopped at the end.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ReferenceClient } from "../../../adapters/reference/client/client.js";
import { UsageError } from "../../../core/errors.js";
import { type ServiceSpec, ServiceStartError } from "../definition.js";
import { ServiceRunningError, serviceStatus, startService, stopService } from "../manage.js";
import { processCondition, processStartTime } from "../pids.js";
import { freePort, LOOPBACK } from "../ports.js";
import { startProcesses } from "../processes.js";
import { serviceDefinition } from "../registry.js";
import { readState } from "../state.js";

const home = mkdtempSync(join(tmpdir(), "bb-services-"));
const env = { ...process.env, BROKERBENCH_HOME: home };
const cannotStart = serviceDefinition("reference").missing({ env, cacheDir: join(home, "cache") });

async function answers(port: number, timeoutMs = 1000): Promise<boolean> {
  try {
    const client = await ReferenceClient.connect({
      host: LOOPBACK,
      port,
      connectTimeoutMs: timeoutMs,
      requestTimeoutMs: timeoutMs,
    });
    await client.close();
    return true;
  } catch {
    return false;
  }
}

const stopAll: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const stop of stopAll) await stop().catch(() => {});
  rmSync(home, { recursive: true, force: true });
});

describe.skipIf(cannotStart !== null)(
  `a service's life (reference broker)${cannotStart !== null ? ` — SKIPPED: ${cannotStart}` : ""}`,
  () => {
    it("starts detached, records its state, refuses a second start, and is stopped from its state alone", async () => {
      const instance = await startService("reference", { env, profile: "durable" });
      stopAll.push(() => instance.stop());
      const [node] = instance.nodes;
      const port = node!.ports.client!;
      expect(instance.settings).toEqual({ url: `${LOOPBACK}:${port}` });
      expect(await answers(port)).toBe(true);

      const state = readState(join(home, "services", "reference"));
      expect(state).toMatchObject({
        service: "reference",
        instance: "reference",
        profile: "durable",
        address: `${LOOPBACK}:${port}`,
        stoppedAt: null,
        nodes: [
          { id: "1", pid: node!.pid, startTime: processStartTime(node!.pid!), ports: { client: port } },
        ],
      });
      expect(readFileSync(node!.logFile, "utf8")).toMatch(/=== brokerbench: launching .*--flush always/);

      const [status] = serviceStatus(env);
      expect(status).toMatchObject({ instance: "reference", condition: "running" });
      await expect(startService("reference", { env })).rejects.toThrow(ServiceRunningError);

      // Another invocation knows only state.json.
      const report = await stopService("reference", { env });
      expect(report?.ended).toEqual([{ id: "1", how: "term" }]);
      expect(await answers(port)).toBe(false);
      expect(serviceStatus(env)[0]).toMatchObject({ condition: "stopped", nodes: [{ pid: null }] });
      expect(existsSync(node!.dataDir)).toBe(true);

      const wiped = await stopService("reference", { env, wipe: true });
      expect(wiped?.ended).toEqual([]);
      expect(existsSync(node!.dataDir)).toBe(false);
      expect(serviceStatus(env)).toEqual([]);
      expect(existsSync(node!.logFile)).toBe(true);
    });

    it("kill, restart on the same port and data, pause and resume, through the handle", async () => {
      const instance = await startService("reference", { env, instance: "ref-faults" });
      stopAll.push(() => instance.stop({ wipe: true }));
      const port = instance.nodes[0]!.ports.client!;
      const firstPid = instance.nodes[0]!.pid!;

      await instance.kill();
      expect(instance.nodes[0]).toMatchObject({ condition: "killed", pid: null });
      expect(processCondition({ pid: firstPid, startTime: null })).toBe("gone");
      expect(await answers(port)).toBe(false);
      // Killed without a stop: status must not call it running.
      expect(serviceStatus(env).find((s) => s.instance === "ref-faults")?.condition).toBe("stale");

      await instance.restart();
      expect(instance.nodes[0]).toMatchObject({ condition: "running", ports: { client: port } });
      expect(instance.nodes[0]!.pid).not.toBe(firstPid);
      expect(await answers(port)).toBe(true);
      expect(serviceStatus(env).find((s) => s.instance === "ref-faults")?.condition).toBe("running");

      await instance.pause();
      expect(serviceStatus(env).find((s) => s.instance === "ref-faults")?.condition).toBe("paused");
      expect(await answers(port, 300)).toBe(false);
      await instance.resume();
      expect(await answers(port)).toBe(true);

      // A paused process cannot act on SIGTERM: stop resumes it, so the stop is still clean.
      await instance.pause();
      const pid = instance.nodes[0]!.pid!;
      await instance.stop();
      expect(processCondition({ pid, startTime: null })).toBe("gone");
      expect(readFileSync(instance.nodes[0]!.logFile, "utf8")).toMatch(
        /SIGTERM, shutting down\n.*stopped cleanly\n$/,
      );
      await expect(instance.kill("7")).rejects.toThrow('ref-faults has no node "7" (nodes: 1)');
    });

    it("two starts of one instance at once: one starts it, the other is refused while it does", async () => {
      const [a, b] = await Promise.allSettled([
        startService("reference", { env, instance: "ref-twice" }),
        startService("reference", { env, instance: "ref-twice" }),
      ]);
      const started = [a, b].filter((r) => r.status === "fulfilled");
      const refused = [a, b].filter((r) => r.status === "rejected");
      expect(started).toHaveLength(1);
      for (const s of started) stopAll.push(() => s.value.stop({ wipe: true }));
      expect(refused.map((r) => (r.reason as Error).message)).toEqual([
        `ref-twice is being started by pid ${process.pid}; wait for it, or stop that process`,
      ]);
      expect(serviceStatus(env).find((s) => s.instance === "ref-twice")?.condition).toBe("running");
      // The lock went with the start: a later start sees the running instance.
      await expect(startService("reference", { env, instance: "ref-twice" })).rejects.toThrow(
        ServiceRunningError,
      );
    });

    it("a taken port is a one-line usage error, before anything starts", async () => {
      const port = await freePort();
      const holder = (await import("node:net")).createServer().listen(port, LOOPBACK);
      await new Promise((r) => holder.once("listening", r));
      try {
        const err = await startService("reference", { env, instance: "ref-busy", port }).catch((e) => e);
        expect(err).toBeInstanceOf(UsageError);
        expect(err.message).toBe(
          `cannot start ref-busy: 127.0.0.1:${port} (client port) is already in use; pick another --port or stop what listens there`,
        );
        expect(existsSync(join(home, "services", "ref-busy", "state.json"))).toBe(false);
      } finally {
        holder.close();
      }
    });
  },
);

describe("a process that does not come up", () => {
  function spec(instance: string): ServiceSpec {
    const dir = join(home, "services", instance);
    return {
      service: "test",
      instance,
      dir,
      port: 0,
      dataDir: join(dir, "data"),
      profile: "default",
      nodes: 1,
      env,
      cacheDir: join(home, "cache"),
      progress: () => {},
      network: null,
    };
  }
  function node(instance: string, script: string, probe: () => Promise<void>) {
    const dir = join(home, "services", instance);
    return {
      id: "1",
      command: process.execPath,
      args: ["-e", script],
      env,
      cwd: home,
      ports: {},
      dataDir: join(dir, "data", "node-1"),
      logFile: join(dir, "logs", "node-1.log"),
      probe,
    };
  }
  const never = async () => {
    throw new Error("connection refused");
  };

  it("exits: one line with its exit code, the error its log shows, and the log's path", async () => {
    const script =
      "console.log('starting'); console.error('java.net.BindException: Address already in use'); console.error('    at sun.nio.ch.Net.bind(Net.java)'); process.exit(3)";
    const err = await startProcesses({
      spec: spec("dies"),
      address: "-",
      settings: {},
      nodes: [node("dies", script, never)],
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ServiceStartError);
    const log = join(home, "services", "dies", "logs", "node-1.log");
    expect(err.message).toBe(
      `dies exited with code 3 before serving: java.net.BindException: Address already in use (log: ${log})`,
    );
    expect(readState(join(home, "services", "dies"))?.stoppedAt).not.toBeNull();
  });

  it("never serves: killed after the ready timeout, with the probe's last answer", async () => {
    const err = await startProcesses({
      spec: spec("hangs"),
      address: "-",
      settings: {},
      readyTimeoutMs: 800,
      nodes: [node("hangs", "setInterval(() => {}, 1000)", never)],
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ServiceStartError);
    expect(err.message).toMatch(
      /^hangs did not serve within 1 s \(last probe: connection refused; log: .*node-1\.log\)$/,
    );
    const state = readState(join(home, "services", "hangs"));
    expect(state?.nodes[0]?.pid).toBeNull();
  });

  it("a command that does not exist", async () => {
    const err = await startProcesses({
      spec: spec("nocmd"),
      address: "-",
      settings: {},
      nodes: [{ ...node("nocmd", "", never), command: "brokerbench-no-such-program" }],
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ServiceStartError);
    expect(err.message).toMatch(/^nocmd: cannot run brokerbench-no-such-program: spawn .* ENOENT$/);
  });
});

describe("pids", () => {
  it("a live pid with another start time is a different process: gone", () => {
    const own = { pid: process.pid, startTime: processStartTime(process.pid) };
    expect(processCondition(own)).toBe("running");
    if (own.startTime !== null) {
      expect(processCondition({ pid: process.pid, startTime: `${own.startTime}0` })).toBe("gone");
    }
  });
});
