import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../core/errors.js";
import { type PullConsumer, unsupportedReason } from "../contract.js";
import type { PubSubAdapter } from "./adapter.js";
import { findEmulator, servingEmulatorVersion } from "./emulator.js";
import { emulatorGate, TEST_URL } from "./gate.js";
import { pubsubFactory } from "./index.js";
import { parseSettings } from "./settings.js";

describe("pubsub settings", () => {
  it("defaults, and PUBSUB_EMULATOR_HOST when no url is set", () => {
    expect(parseSettings({}, {})).toMatchObject({
      url: "127.0.0.1:8085",
      project: "brokerbench",
      pull: "streaming",
      ordering: false,
      ackDeadlineS: 10,
    });
    expect(parseSettings({}, { PUBSUB_EMULATOR_HOST: "localhost:8681" })).toMatchObject({
      host: "localhost",
      port: 8681,
    });
    expect(parseSettings({ url: "http://[::1]:9000" }, {})).toMatchObject({
      host: "::1",
      port: 9000,
      url: "[::1]:9000",
    });
  });

  it("refuses a bad value in one line naming the setting", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ url: "localhost" }, /setting url=localhost is not host:port/],
      [{ pull: "fast" }, /setting pull=fast must be streaming or unary/],
      [{ ackDeadlineS: "601" }, /setting ackDeadlineS=601 must be an integer from 1 to 600/],
      [{ ordering: "yes" }, /setting ordering=yes must be true or false/],
      [{ project: "X" }, /setting project=X is not a project id/],
    ];
    for (const [settings, message] of cases) {
      const err = (() => {
        try {
          parseSettings(settings, {});
          return null;
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("\n");
    }
  });

  it("declares key order with ordering keys and none without; exactly-once on pull only", () => {
    expect(pubsubFactory.capabilitiesFor?.({ ordering: "true" }).ordering).toBe("key");
    expect(pubsubFactory.capabilities.ordering).toBe("none");
    const need = { groups: 1, consumersPerGroup: 1, partitions: 1, start: "latest" as const };
    expect(
      unsupportedReason(pubsubFactory.capabilities, { ...need, delivery: "pull", mode: "exactly-once" }),
    ).toBeNull();
    expect(
      unsupportedReason(pubsubFactory.capabilities, { ...need, delivery: "push", mode: "exactly-once" }),
    ).toBe("delivery mode exactly-once is not supported with push delivery");
    expect(pubsubFactory.capabilities.maxMessageBytes).toBe(10_000_000);
  });
});

describe("finding the emulator", () => {
  const root = mkdtempSync(join(tmpdir(), "bb-gcloud-"));
  const lib = join(root, "platform", "pubsub-emulator", "lib");
  mkdirSync(lib, { recursive: true });
  for (const v of ["0.8.20", "0.10.1", "0.9.3"])
    writeFileSync(join(lib, `cloud-pubsub-emulator-${v}-all.jar`), "");

  it("takes the newest jar of the first Google Cloud CLI that has the component", () => {
    const found = findEmulator({}, [join(root, "nowhere"), root]);
    expect(found).toEqual({
      jar: join(lib, "cloud-pubsub-emulator-0.10.1-all.jar"),
      version: "0.10.1",
      sdkRoot: root,
    });
  });

  it("says in one line what is missing", () => {
    const none = findEmulator({ PATH: "" }, [join(root, "nowhere")]);
    expect(none).toMatch(/^the Pub\/Sub emulator is not installed: no gcloud on PATH/);
    expect(findEmulator({ BROKERBENCH_PUBSUB_EMULATOR_JAR: join(root, "x.jar") })).toMatch(/is not a file$/);
  });
});

const gate = await emulatorGate();

describe.skipIf(gate.skip || gate.fail)(`pubsub adapter at ${gate.address}`, () => {
  let adapter: PubSubAdapter;
  beforeAll(async () => {
    adapter = (await pubsubFactory.connect({ url: TEST_URL })) as PubSubAdapter;
  });
  afterAll(async () => {
    await adapter?.close();
  });

  it("reports the version of the emulator serving its port", async () => {
    const { port } = parseSettings({ url: TEST_URL });
    const install = findEmulator();
    const serving = servingEmulatorVersion(port);
    if (typeof install !== "string" && serving !== null) expect(serving).toBe(install.version);
    expect((await adapter.versions())["pubsub-emulator"]).toBe(serving ?? expect.stringContaining("unknown"));
  });

  it("clean(prefix) removes the prefix's topics, subscriptions and snapshots, and nothing else", async () => {
    const prefix = `bb-clean-${process.pid}-`;
    const other = `bb-keep-${process.pid}`;
    await adapter.createTopic({ name: `${prefix}t`, partitions: 1 });
    await adapter.createTopic({ name: other, partitions: 1 });
    const c = await adapter.createConsumer({
      process: 1,
      group: "g",
      topics: [`${prefix}t`],
      delivery: "pull",
      mode: "at-least-once",
      start: "earliest",
      prefetch: 10,
    });
    await c.close();
    const raw = (adapter as unknown as { admin: import("@google-cloud/pubsub").PubSub }).admin;
    await raw.subscription(`${prefix}t.g`).createSnapshot(`${prefix}snap`);
    try {
      expect([...(await adapter.clean(prefix))].sort()).toEqual([
        `${prefix}snap`,
        `${prefix}t`,
        `${prefix}t.g`,
      ]);
      const [topics] = await raw.getTopics();
      const names = topics.map((t) => t.name.split("/").pop());
      expect(names).toContain(other);
      expect(names).not.toContain(`${prefix}t`);
      expect(await adapter.clean(prefix)).toEqual([]);
    } finally {
      await adapter.deleteTopic(other);
    }
  });

  it("refuses push with exactly-once, several partitions, patterns and idempotent publishing, each in one line", async () => {
    const topic = `bb-refuse-${process.pid}`;
    await adapter.createTopic({ name: topic, partitions: 1 });
    try {
      const base = { process: 1, group: "g", topics: [topic], start: "earliest" as const, prefetch: 10 };
      await expect(
        adapter.createConsumer({ ...base, delivery: "push", mode: "exactly-once" }),
      ).rejects.toThrow(/exactly-once is not supported with push delivery/);
      await expect(
        adapter.createConsumer({ ...base, delivery: "pull", mode: "at-least-once", patterns: ["bb.*"] }),
      ).rejects.toThrow(/pattern subscriptions are not supported/);
      await expect(adapter.createTopic({ name: `${topic}-p2`, partitions: 2 })).rejects.toThrow(
        /no partitions/,
      );
      await expect(
        adapter.createProducer({ process: 2, mode: "exactly-once", idempotent: true }),
      ).rejects.toThrow(/does not deduplicate/);
    } finally {
      await adapter.deleteTopic(topic);
    }
  });

  it("with ordering on: a group starting at latest is refused (no Seek on ordered subscriptions), and leaves nothing behind", async () => {
    const ordered = (await pubsubFactory.connect({ url: TEST_URL, ordering: "true" })) as PubSubAdapter;
    const topic = `bb-latest-${process.pid}`;
    try {
      await ordered.createTopic({ name: topic, partitions: 1 });
      const err = await ordered
        .createConsumer({
          process: 1,
          group: "late",
          topics: [topic],
          delivery: "pull",
          mode: "at-least-once",
          start: "latest",
          prefetch: 10,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(/does not implement on subscriptions with message ordering/);
      const raw = (ordered as unknown as { admin: import("@google-cloud/pubsub").PubSub }).admin;
      const [exists] = await raw.subscription(`${topic}.late`).exists();
      expect(exists).toBe(false);
    } finally {
      await ordered.deleteTopic(topic);
      await ordered.close();
    }
  });

  it("with ordering on, two competing streaming consumers see each key's messages in publish order", async () => {
    const ordered = await pubsubFactory.connect({ url: TEST_URL, ordering: "true" });
    const topic = `bb-keys-${process.pid}`;
    await ordered.createTopic({ name: topic, partitions: 1 });
    try {
      const base = { group: "g", topics: [topic], delivery: "pull" as const, mode: "at-least-once" as const };
      const consumers = (await Promise.all(
        [100, 101].map((process) =>
          ordered.createConsumer({ ...base, process, start: "earliest", prefetch: 20 }),
        ),
      )) as PullConsumer[];
      const producer = await ordered.createProducer({ process: 1, mode: "at-least-once", idempotent: false });
      const total = 200;
      for (let b = 0; b < total / 20; b++) {
        await producer.send(
          Array.from({ length: 20 }, (_, i) => ({
            topic,
            key: `k${i % 4}`,
            payload: Buffer.from(`${b * 5 + Math.floor(i / 4)}`),
          })),
        );
      }
      await producer.close();
      // Each consumer's view of each key: sequence numbers in the order it received them.
      const views = consumers.map(() => new Map<string, number[]>());
      let received = 0;
      const deadline = Date.now() + 15_000;
      while (received < total && Date.now() < deadline) {
        for (const [i, c] of consumers.entries()) {
          const batch = await c.poll(50, 50);
          for (const d of batch) {
            const seqs = views[i]!.get(d.key!) ?? [];
            seqs.push(Number(Buffer.from(d.payload).toString()));
            views[i]!.set(d.key!, seqs);
          }
          received += batch.length;
          await c.commit(batch);
        }
      }
      for (const c of consumers) await c.close();
      expect(received).toBe(total);
      for (const view of views) {
        for (const [key, seqs] of view) expect(seqs, key).toEqual([...seqs].sort((a, b) => a - b));
      }
    } finally {
      await ordered.deleteTopic(topic);
      await ordered.close();
    }
  });
});
