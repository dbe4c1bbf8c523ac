/**
 * The life every private service test checks: start an instance in a temporary BROKERBENCH_HOME,
 * write through a real client, SIGKILL it (`kill()`), `restart()` it on the same ports and data,
 * read back what is left, then stop it with wipe and find no process and no data of it left.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { ServiceInstance } from "../definition.js";
import { processesUsing } from "../leftovers.js";
import { serviceStatus, startService, stopService } from "../manage.js";
import { processCondition } from "../pids.js";

export interface CycleTimes {
  readonly startMs: number;
  readonly restartMs: number;
}

/**
 * A temporary BROKERBENCH_HOME for one test file, and its removal, which first stops every instance
 * in it (a test that timed out mid-cycle leaves its broker running otherwise).
 */
export function privateHome(prefix: string): {
  env: NodeJS.ProcessEnv;
  home: string;
  remove(): Promise<void>;
} {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const env = { ...process.env, BROKERBENCH_HOME: home };
  return {
    home,
    env,
    remove: async () => {
      for (const s of serviceStatus(env)) await stopService(s.instance, { env, wipe: true, graceMs: 5000 });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `service` (profile `profile`) as `instance`, runs `write` against it, kills it, restarts
 * it, runs `read`, and stops it with wipe; asserts the pid changed, the ports stayed, and nothing
 * is left. Returns what `read` returned and how long start and restart took.
 */
export async function crashCycle<T>(o: {
  readonly service: string;
  readonly instance: string;
  readonly profile: string;
  readonly env: NodeJS.ProcessEnv;
  readonly write: (instance: ServiceInstance) => Promise<void>;
  readonly read: (instance: ServiceInstance) => Promise<T>;
}): Promise<{ read: T; times: CycleTimes }> {
  const t0 = performance.now();
  const instance = await startService(o.service, {
    instance: o.instance,
    port: 0,
    profile: o.profile,
    env: o.env,
  });
  const startMs = performance.now() - t0;
  const dir = join(o.env.BROKERBENCH_HOME!, "services", o.instance);
  try {
    expect(instance.profile).toBe(o.profile);
    const before = instance.nodes[0]!;
    await o.write(instance);
    await instance.kill();
    expect(processCondition({ pid: before.pid!, startTime: null })).toBe("gone");
    expect(instance.nodes[0]!.condition).toBe("killed");
    const t1 = performance.now();
    await instance.restart();
    const restartMs = performance.now() - t1;
    const after = instance.nodes[0]!;
    expect(after.pid).not.toBe(before.pid);
    expect(after.ports).toEqual(before.ports);
    expect(after.dataDir).toBe(before.dataDir);
    const read = await o.read(instance);
    await instance.stop({ wipe: true });
    expect(existsSync(before.dataDir)).toBe(false);
    expect(existsSync(join(dir, "state.json"))).toBe(false);
    expect(processesUsing(dir)).toEqual([]);
    return { read, times: { startMs, restartMs } };
  } catch (err) {
    await instance.stop({ wipe: true }).catch(() => {});
    throw err;
  }
}
