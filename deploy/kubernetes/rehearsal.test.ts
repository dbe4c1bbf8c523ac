/**
 * The deployment rehearsed on one host, without Kubernetes: the reference broker, the workers and
 * the coordinator started with the manifests' own argument lists (the coordinator through its
 * Job's shell wrapper), the cluster's names swapped for loopback addresses, the Secret and the
 * ConfigMap for files. What only a cluster does (DNS, scheduling, the image, probes) is not here.
 * Needs the `brokerbench worker` command (issue 17's workers); a build without it skips, saying so.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { IJob } from "kubernetes-models/batch/v1";
import type { IConfigMap } from "kubernetes-models/v1";
import { afterAll, describe, expect, it } from "vitest";
import { loadManifestSet } from "./test/manifests.js";

const DIR = dirname(fileURLToPath(import.meta.url));
const REPO = join(DIR, "../..");
const CLI = join(REPO, "bin/brokerbench.js");
/** Where the Dockerfile puts the CLI; the coordinator's wrapper names it. */
const IMAGE_CLI = "/app/bin/brokerbench.js";
const HAS_WORKER = existsSync(join(REPO, "dist/harness/cli/commands/worker.js"));

const SET = loadManifestSet(DIR);
const docOf = <T>(file: string, kind: string) =>
  SET.manifests.find((m) => m.file === file && m.doc["kind"] === kind)?.doc as unknown as T;
const workersJob = docOf<IJob>("workers-job.yaml", "Job");
const coordinatorJob = docOf<IJob>("coordinator-job.yaml", "Job");
const broker = docOf<IDeployment>("broker.yaml", "Deployment");
const workload = docOf<IConfigMap>("workload-configmap.yaml", "ConfigMap");

interface Started {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output: string;
}

const started: Started[] = [];

function start(args: readonly string[], env: NodeJS.ProcessEnv = {}, command = process.execPath): Started {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const s: Started = {
    child,
    output: "",
    exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
  };
  child.stdout?.on("data", (d) => (s.output += d));
  child.stderr?.on("data", (d) => (s.output += d));
  started.push(s);
  return s;
}

/** The address a server prints once it listens (`… listening on HOST:PORT`). */
async function listeningAddress(s: Started, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /listening on (\S+:\d+)/.exec(s.output);
    if (m !== null) return m[1]!;
    if (s.child.exitCode !== null)
      throw new Error(`exited ${s.child.exitCode} before listening:\n${s.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not listening after ${timeoutMs} ms:\n${s.output}`);
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(what)), ms))]);

afterAll(async () => {
  for (const s of started)
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGTERM");
  await Promise.all(started.map((s) => within(s.exited, 30_000, "a process did not stop").catch(() => null)));
});

describe.skipIf(!HAS_WORKER)(
  `deploy/kubernetes rehearsed on one host (${HAS_WORKER ? "brokerbench worker present" : "skipped: this build has no `brokerbench worker` command (issue 17's workers)"})`,
  () => {
    it("the coordinator runs the workload through every worker, valid, and the workers then exit by themselves", async () => {
      const tmp = await mkdtemp(join(tmpdir(), "bb-k8s-"));
      try {
        const token = join(tmp, "token");
        await writeFile(token, randomBytes(32).toString("hex"), { mode: 0o600 });
        const workloadFile = join(tmp, "workload.yaml");
        await writeFile(workloadFile, workload.data?.["workload.yaml"] ?? "");
        const results = join(tmp, "results");
        await mkdir(results);

        // The broker with its Deployment's arguments, on a free port and a data directory of its own.
        const brokerArgs = [...(broker.spec?.template.spec?.containers[0]?.args ?? [])];
        const at = (flag: string) => brokerArgs.indexOf(flag) + 1;
        brokerArgs[at("--host")] = "127.0.0.1";
        brokerArgs[at("--port")] = "0";
        brokerArgs[at("--data-dir")] = join(tmp, "broker-data");
        const brokerAddress = await listeningAddress(start([CLI, ...brokerArgs]));

        // N workers with the Job's arguments, each on a free loopback port.
        const n = workersJob.spec?.completions ?? 0;
        const workerArgs = workersJob.spec?.template.spec?.containers[0]?.args ?? [];
        const workers = Array.from({ length: n }, () =>
          start([
            CLI,
            ...workerArgs.map((a, i) =>
              workerArgs[i - 1] === "--listen"
                ? "127.0.0.1:0"
                : workerArgs[i - 1] === "--token-file"
                  ? token
                  : a,
            ),
          ]),
        );
        const workerAddresses = await Promise.all(workers.map((w) => listeningAddress(w)));

        // The coordinator through its Job's shell wrapper, the cluster's names swapped for these.
        const container = coordinatorJob.spec?.template.spec?.containers[0];
        const [shell, flag, script, name] = container?.command ?? [];
        expect(script).toContain(IMAGE_CLI);
        const args = (container?.args ?? []).map((a) =>
          a
            .replace(/^(url=)brokerbench-broker:\d+$/, `$1${brokerAddress}`)
            .replace(
              /^brokerbench-worker-(\d+)\.brokerbench-workers:\d+$/,
              (_, i) => workerAddresses[Number(i)]!,
            )
            .replace(/^\/etc\/brokerbench\/workload\.yaml$/, workloadFile)
            .replace(/^\/var\/run\/secrets\/brokerbench\/token$/, token)
            .replace(/^\/results$/, results),
        );
        const coordinator = start(
          [flag!, script!.replace(IMAGE_CLI, CLI), name!, ...args, "--duration", "3", "--warmup", "1"],
          { RESULTS_HOLD_S: "0" },
          shell,
        );
        const code = await within(
          coordinator.exited,
          120_000,
          `coordinator still running:\n${coordinator.output}`,
        );
        expect(code, coordinator.output).toBe(0);
        expect(coordinator.output).toContain(`${n} worker(s)`);
        const run = JSON.parse(await readFile(join(results, "k8s-throughput", "results.json"), "utf8")) as {
          status: string;
          verdict: { valid: boolean } | null;
        };
        expect(run.status).toBe("completed");
        expect(run.verdict?.valid).toBe(true);

        // The worker Job completes only if its pods exit 0 once the run is over (--exit-after-run).
        const exits = await within(
          Promise.all(workers.map((w) => w.exited)),
          30_000,
          `workers still running 30 s after the run (--exit-after-run):\n${workers.map((w) => w.output).join("\n")}`,
        );
        expect(exits).toEqual(workers.map(() => 0));
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }, 240_000);
  },
);
