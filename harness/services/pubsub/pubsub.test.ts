/**
 * The Pub/Sub emulator service: a private instance on a free port (its own BROKERBENCH_HOME),
 * serving the adapter, killed (everything is in memory: a restart comes back empty), restarted on
 * the same port, stopped. Skipped, naming what is missing, on a machine without the emulator.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pubsubFactory } from "../../../adapters/pubsub/index.js";
import type { ServiceInstance } from "../definition.js";
import { serviceStatus, startService } from "../manage.js";
import { emulatorArgs, probeEmulator, pubsubService } from "./pubsub.js";

const home = mkdtempSync(join(tmpdir(), "bb-pubsub-service-"));
const env = { ...process.env, BROKERBENCH_HOME: home };
const lacks = pubsubService.missing({ env, cacheDir: join(home, "cache") });

describe("pubsub service definition", () => {
  it("runs the jar itself on loopback, and names what a machine without it lacks", () => {
    expect(emulatorArgs("/x/cloud-pubsub-emulator-0.8.20-all.jar", 8123)).toEqual([
      "-Xms64m",
      "-Xmx2g",
      "-jar",
      "/x/cloud-pubsub-emulator-0.8.20-all.jar",
      "--host=127.0.0.1",
      "--port=8123",
    ]);
    const none = pubsubService.missing({
      env: { PATH: "", BROKERBENCH_PUBSUB_EMULATOR_JAR: "" },
      cacheDir: join(home, "cache"),
    });
    expect(none).toBe("java is not on PATH");
    const noJar = pubsubService.missing({
      env: { ...process.env, BROKERBENCH_PUBSUB_EMULATOR_JAR: join(home, "missing.jar") },
      cacheDir: join(home, "cache"),
    });
    expect(noJar).toMatch(/missing\.jar is not a file$/);
  });
});

describe.skipIf(lacks !== null)(
  `pubsub service${lacks === null ? "" : ` — SKIPPED: this machine cannot run it (${lacks})`}`,
  () => {
    let instance: ServiceInstance | null = null;
    afterAll(async () => {
      await instance?.stop({ wipe: true }).catch(() => {});
      rmSync(home, { recursive: true, force: true });
    });

    it("starts on a free port, serves the adapter, survives nothing across a kill, restarts on its port, stops", async () => {
      instance = await startService("pubsub", { instance: `pubsub-test-${process.pid}`, port: 0, env });
      const url = instance.settings.url!;
      const port = Number(url.split(":")[1]);
      expect(instance.address).toBe(url);
      await probeEmulator("127.0.0.1", port);

      const adapter = await pubsubFactory.connect({ url });
      try {
        await adapter.createTopic({ name: "bb-service-t", partitions: 1 });
        const status = serviceStatus(env).find((s) => s.instance === `pubsub-test-${process.pid}`);
        expect(status?.condition).toBe("running");
      } finally {
        await adapter.close();
      }

      await instance.kill();
      await expect(probeEmulator("127.0.0.1", port)).rejects.toThrow();
      await instance.restart();
      await probeEmulator("127.0.0.1", port);
      const again = await pubsubFactory.connect({ url });
      try {
        // In memory only: the topic made before the kill is gone.
        expect(await again.clean!("bb-service-")).toEqual([]);
      } finally {
        await again.close();
      }

      await instance.stop();
      await expect(probeEmulator("127.0.0.1", port)).rejects.toThrow();
    });
  },
);
