import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RunResult } from "../../../core/results.js";
import { findContainerRuntime, hostProbe } from "../../provision/index.js";
import { runCli } from "../test/in-process.js";
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

afterEach(() => vi.restoreAllMocks());

describe("brokerbench run: bad input is one line and exit code 2", () => {
  const out = join(dir, "out");

  it("an unknown workload field names the file and the field", async () => {
    const file = workload("typo.yaml", "rate: 100\nbatchSise: 10\n");
    const r = await runCli("run", file, "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `brokerbench: ${file}: unknown field "batchSise" (did you mean "batchSize"?); known fields: ` +
        r.err.split("known fields: ")[1],
    );
    expect(r.err.split("\n")).toHaveLength(1);
  });

  it("a wrong type names the file and the field", async () => {
    const file = workload("type.yaml", "partitions: two\n");
    const r = await runCli("run", file, "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      new RegExp(`^brokerbench: ${file}: field "partitions": expected number, received string$`),
    );
  });

  it("a missing file says so", async () => {
    const r = await runCli("run", join(dir, "missing.yaml"), "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`brokerbench: ${join(dir, "missing.yaml")}: no such workload file`);
  });

  it("an unknown workload name lists the built-in ones", async () => {
    const r = await runCli("run", "nonesuch", "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^brokerbench: unknown workload "nonesuch".*built-in: .*default/);
  });

  it("an unknown adapter lists the known ones", async () => {
    const r = await runCli("run", "--adapter", "kafka9", "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^brokerbench: unknown adapter "kafka9"; known adapters: /);
    expect(r.err.split("\n")).toHaveLength(1);
  });

  it("bad option values are usage errors", async () => {
    expect((await runCli("run", "--rate", "fast", "--out", out)).err).toMatch(/--rate fast: expected/);
    expect((await runCli("run", "--set", "novalue", "--out", out)).err).toMatch(
      /--set novalue: expected key=value/,
    );
    expect((await runCli("run", "--duration", "-3", "--out", out)).code).toBe(2);
    expect((await runCli("run", "--report", "pdf", "--out", out)).err).toMatch(/unknown report format "pdf"/);
    expect((await runCli("run", "--bogus")).err).toMatch(/Unknown argument/i);
  });

  it("echoes a bad number as typed (issue 11, defect 7: it said NaN)", async () => {
    const r = await runCli("run", "--duration", "abc", "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toBe("brokerbench: --duration abc: expected a positive number");
    expect((await runCli("run", "--messages", "1e", "--out", out)).err).toBe(
      "brokerbench: --messages 1e: expected a positive number",
    );
  });

  it("a setting for an adapter that does not exist names it (defect 7: it blamed the reference adapter)", async () => {
    const r = await runCli("run", "--set", "kafka9.url=x", "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^brokerbench: --set kafka9\.url=x: no adapter "kafka9" \(adapters: reference, /);
    expect(r.err.split("\n")).toHaveLength(1);
  });

  it("a YAML syntax error names the line and shows it (defect 7: a dangling colon, no snippet)", async () => {
    const file = workload("broken.yaml", "rate: 100\ndurationS: 2\nfoo: bar: baz\n");
    const r = await runCli("run", file, "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `brokerbench: ${file}:3:6: not valid YAML: Nested mappings are not allowed in compact mappings: "foo: bar: baz"`,
    );
    const tab = workload("tab.yaml", "rate: 100\n\tdurationS: 2\n");
    expect((await runCli("run", tab, "--out", out)).err).toMatch(
      /tab\.yaml:2:1: not valid YAML: .*: "\\tdurationS: 2"$/,
    );
  });

  it("-o naming a file is one line and exit 2, before anything runs (defect 4: a stack trace)", async () => {
    const file = workload("not-a-dir", "x");
    const r = await runCli("run", "--duration", "2", "-o", file);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`brokerbench: --out ${file}: is a file, not a directory; name a directory`);
    const under = await runCli("run", "--duration", "2", "-o", join(file, "sub"));
    expect(under.code).toBe(2);
    expect(under.err).toMatch(
      /--out .*not-a-dir\/sub: cannot create or write it \(a part of the path is a file\)$/,
    );
    if (process.platform === "linux") {
      // Node's recursive mkdir never returns under /proc: this hung instead of answering.
      const proc = await runCli("run", "--duration", "2", "-o", "/proc/brokerbench-nope");
      expect(proc.code).toBe(2);
      expect(proc.err).toMatch(
        /^brokerbench: --out \/proc\/brokerbench-nope: cannot create or write it \(ENOENT/,
      );
    }
  });
});

describe("brokerbench run: a connection that times out (issue 11, defect 7: it said 0.0 s)", () => {
  it("the progress line and results.json give the time it took", async () => {
    // Accepts and never speaks: the NATS client waits for the server's INFO until its timeout.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    const sockets: Socket[] = [];
    silent.on("connection", (s) => sockets.push(s));
    try {
      const file = workload("amo-once.yaml", "deliveryMode: at-most-once\ndurationS: 1\nwarmupS: 0\n");
      const out = join(dir, "timeout");
      const r = await runCli(
        "run",
        file,
        "--adapter",
        "nats",
        "--set",
        `url=nats://127.0.0.1:${port}`,
        "--set",
        "connectTimeoutMs=1500",
        "--report",
        "none",
        "-o",
        out,
      );
      expect(r.code).toBe(1);
      const took = Number(/amo-once on nats: error \(([\d.]+) s\)/.exec(r.err)?.[1]);
      expect(took).toBeGreaterThanOrEqual(1.4);
      const result = JSON.parse(readFileSync(join(out, "amo-once", "results.json"), "utf8")) as RunResult;
      expect(result.durationS).toBeGreaterThanOrEqual(1.4);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  }, 30_000);
});

describe("brokerbench run: nothing ran is not a success (issue 11, defect 10)", () => {
  it("every point not supported: says that nothing ran, exit 1", async () => {
    // The default suite is at-least-once, which core NATS does not offer: refused before connecting.
    const r = await runCli("run", "--adapter", "nats", "--report", "none", "--out", join(dir, "none-ran"));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/not supported \(4 of 4 points/);
    expect(r.err.split("\n").at(-1)).toBe(
      "brokerbench: nothing ran: every run is not supported by its adapter (4 of 4; reasons above)",
    );
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

  it("--only plans just the points of a suite whose ids contain every pattern, on every adapter", async () => {
    const planned = await planRuns(
      args({
        workloads: ["delivery-modes"],
        adapter: ["reference,kafka"],
        only: ["exactly-once", "broker-crash"],
      }),
    );
    expect(planned.map((p) => p.runId)).toEqual([
      "delivery-modes-deliveryMode=exactly-once-fault=broker-crash-default-reference",
      "delivery-modes-deliveryMode=exactly-once-fault=broker-crash-default-kafka",
      "delivery-modes-deliveryMode=exactly-once-fault=broker-crash-durable-reference",
      "delivery-modes-deliveryMode=exactly-once-fault=broker-crash-durable-kafka",
    ]);
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
    const r = await runCli("run", "--warmup", "-1", "--out", join(dir, "w"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^brokerbench: --warmup -1: expected seconds/);
    const s = await runCli("run", "--backlog-scale", "0", "--out", join(dir, "w"));
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/^brokerbench: --backlog-scale 0: expected a positive factor/);
  });
});

describe("brokerbench help and list", () => {
  it("every command has --help", async () => {
    for (const cmd of ["run", "list"]) {
      const r = await runCli(cmd, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toContain(`brokerbench ${cmd}`);
    }
  });

  it("list shows the workloads and the adapters with their capabilities", async () => {
    const r = await runCli("list");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/default\s+4\s+push vs pull/);
    // The capability matrix: one row per adapter, one column per capability.
    expect(r.out).toMatch(/adapter\s+model\s+push\s+pull\s+queue\s+pub-sub\s+replay/);
    expect(r.out).toMatch(
      /reference\s+log\s+yes\s+yes\s+yes\s+yes\s+yes\s+yes\s+yes\s+yes\s+-\s+at-most-once, at-least-once, exactly-once\s+partition/,
    );
    expect(r.out).toMatch(
      /artemis\s+queue\s+yes\s+yes\s+yes\s+yes\s+-\s+-\s+-\s+-\s+yes\s+at-most-once, at-least-once\s+producer/,
    );
    expect(r.out).toMatch(/redis-pubsub\s+queue\s+yes\s+-\s+-\s+yes/);
    // A mode only one delivery style has is marked.
    expect(r.out).toMatch(/pubsub\s+queue\s+.*at-least-once, exactly-once \(pull only\)\s+none/);
  });
});

describe("brokerbench run --provision", () => {
  it("says in one line when there is no broker to start", async () => {
    const r = await runCli("run", "--provision", "testcontainers", "--out", join(dir, "prov"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^brokerbench: --provision: adapter "reference" has no broker to start/);
  });

  it.skipIf(hasContainerRuntime)(
    "without Docker or Podman, says so in one line (skipped where a container runtime exists)",
    async () => {
      const r = await runCli(
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
