import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { findContainerRuntime, hostProbe } from "../../provision/index.js";
import { main } from "../cli.js";
import { planRuns, type RunArgs, settingsFor } from "./run.js";

const hasContainerRuntime = await findContainerRuntime(hostProbe).then(
  () => true,
  () => false,
);

const dir = mkdtempSync(join(tmpdir(), "bb-cli-"));
function workload(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Runs the CLI in-process; returns the exit code and what it printed. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
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

afterEach(() => vi.restoreAllMocks());

describe("brokerbench run: bad input is one line and exit code 2", () => {
  const out = join(dir, "out");

  it("an unknown workload field names the file and the field", async () => {
    const file = workload("typo.yaml", "rate: 100\nbatchSise: 10\n");
    const r = await cli("run", file, "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `brokerbench: ${file}: unknown field "batchSise" (did you mean "batchSize"?); known fields: ` +
        r.err.split("known fields: ")[1],
    );
    expect(r.err.split("\n")).toHaveLength(1);
  });

  it("a wrong type names the file and the field", async () => {
    const file = workload("type.yaml", "partitions: two\n");
    const r = await cli("run", file, "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      new RegExp(`^brokerbench: ${file}: field "partitions": expected number, received string$`),
    );
  });

  it("a missing file says so", async () => {
    const r = await cli("run", join(dir, "missing.yaml"), "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`brokerbench: ${join(dir, "missing.yaml")}: no such workload file`);
  });

  it("an unknown workload name lists the built-in ones", async () => {
    const r = await cli("run", "nonesuch", "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^brokerbench: unknown workload "nonesuch".*built-in: .*default/);
  });

  it("an unknown adapter lists the known ones", async () => {
    const r = await cli("run", "--adapter", "kafka9", "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^brokerbench: unknown adapter "kafka9"; known adapters: /);
    expect(r.err.split("\n")).toHaveLength(1);
  });

  it("bad option values are usage errors", async () => {
    expect((await cli("run", "--rate", "fast", "--out", out)).err).toMatch(/--rate fast: expected/);
    expect((await cli("run", "--set", "novalue", "--out", out)).err).toMatch(
      /--set novalue: expected key=value/,
    );
    expect((await cli("run", "--duration", "-3", "--out", out)).code).toBe(2);
    expect((await cli("run", "--report", "pdf", "--out", out)).err).toMatch(/unknown report format "pdf"/);
    expect((await cli("run", "--bogus")).err).toMatch(/Unknown argument/i);
  });
});

describe("brokerbench run: planning", () => {
  const args = (over: Partial<RunArgs>): RunArgs => ({
    workloads: [],
    adapter: ["reference"],
    out: undefined,
    duration: undefined,
    warmup: undefined,
    messages: undefined,
    backlogScale: undefined,
    rate: undefined,
    set: [],
    history: true,
    report: "none",
    provision: undefined,
    wide: false,
    ...over,
  });

  it("workload settings scoped to an adapter apply to that adapter only", () => {
    const s = { url: "h:1", "reference.push": "buffer", "nats.url": "nats://n:4222", "x.y": "z" };
    expect(settingsFor(s, "reference")).toEqual({ url: "h:1", push: "buffer", "x.y": "z" });
    expect(settingsFor(s, "nats")).toEqual({ url: "nats://n:4222", "x.y": "z" });
  });

  it("a matrix point that differs only by another adapter's settings is planned once per adapter", async () => {
    const skipped: string[] = [];
    const planned = await planRuns(
      args({
        workloads: ["push-vs-pull"],
        adapter: ["reference,nats"],
        set: ["nats.url=nats://127.0.0.1:4222"],
      }),
      (line) => skipped.push(line),
    );
    expect(planned.map((p) => p.runId)).toEqual([
      "push-vs-pull-delivery=push-reference",
      "push-vs-pull-delivery=push-nats",
      "push-vs-pull-delivery=pull-reference",
      "push-vs-pull-delivery=pull-nats",
      "push-vs-pull-delivery=push-buffer-reference",
    ]);
    expect(planned.at(-1)?.settings).toEqual({ push: "buffer", overflow: "drop", pushBuffer: "1000" });
    expect(planned[1]?.settings).toEqual({ url: "nats://127.0.0.1:4222" });
    expect(skipped).toEqual([
      "push-vs-pull-delivery=push-buffer on nats: the same run as push-vs-pull-delivery=push-nats (its settings are for other adapters)",
    ]);
  });

  it("--warmup sets warmupS; a bad value is a usage error", async () => {
    const [p] = await planRuns(args({ workloads: ["default"], duration: 3, warmup: 0.5 }));
    expect(p?.run.workload).toMatchObject({ durationS: 3, warmupS: 0.5 });
    const r = await cli("run", "--warmup", "-1", "--out", join(dir, "w"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^brokerbench: --warmup -1: expected seconds/);
    const s = await cli("run", "--backlog-scale", "0", "--out", join(dir, "w"));
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/^brokerbench: --backlog-scale 0: expected a positive factor/);
  });
});

describe("brokerbench help and list", () => {
  it("every command has --help", async () => {
    for (const cmd of ["run", "list"]) {
      const r = await cli(cmd, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toContain(`brokerbench ${cmd}`);
    }
  });

  it("list shows the workloads and the adapters with their capabilities", async () => {
    const r = await cli("list");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/default\s+4\s+push vs pull/);
    // The capability matrix: one row per adapter, one column per capability.
    expect(r.out).toMatch(/adapter\s+model\s+push\s+pull\s+queue\s+pub-sub\s+replay/);
    expect(r.out).toMatch(
      /reference\s+log\s+yes\s+yes\s+yes\s+yes\s+yes\s+yes\s+yes\s+yes\s+-\s+at-most-once, at-least-once, exactly-once\s+partition/,
    );
    expect(r.out).toMatch(/redis-pubsub\s+queue\s+yes\s+-\s+-\s+yes/);
    // A mode only one delivery style has is marked.
    expect(r.out).toMatch(/pubsub\s+queue\s+.*at-least-once, exactly-once \(pull only\)\s+none/);
  });
});

describe("brokerbench run --provision", () => {
  it("says in one line when there is no broker to start", async () => {
    const r = await cli("run", "--provision", "testcontainers", "--out", join(dir, "prov"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^brokerbench: --provision: adapter "reference" has no broker to start/);
  });

  it.skipIf(hasContainerRuntime)(
    "without Docker or Podman, says so in one line (skipped where a container runtime exists)",
    async () => {
      const r = await cli(
        "run",
        "--provision",
        "testcontainers",
        "--adapter",
        "redis-streams",
        "--out",
        join(dir, "p2"),
      );
      expect(r.code).toBe(2);
      expect(r.err.split("\n").at(-1)).toMatch(/^brokerbench: no container runtime found .*Docker or Podman/);
    },
  );
});
