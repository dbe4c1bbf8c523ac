/**
 * `brokerbench run [workloads...]`: every point of every workload against every chosen adapter,
 * one directory per run under --out, a summary table on stdout, then the reports.
 */
import { constants } from "node:fs";
import { access, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Argv } from "yargs";
import { type AdapterFactory, type AdapterSettings, capabilitiesOf } from "../../../adapters/contract.js";
import { ADAPTERS, findAdapter } from "../../../adapters/registry.js";
import { checkHistoryFile } from "../../../checkers/index.js";
import { makeDirs } from "../../../core/dirs.js";
import { EXIT, UsageError } from "../../../core/errors.js";
import type { FindMaxRecord } from "../../../core/find-max.js";
import type { RunResult } from "../../../core/results.js";
import { OMB_LATENCY_NOTE, parseFormats, writeReports } from "../../../reports/index.js";
import { HISTORY_ENCODINGS, type HistoryEncoding } from "../../history/index.js";
import {
  brokerImage,
  PROVISION_METHODS,
  type ProvisionedBroker,
  type ProvisionMethod,
  provisionableAdapters,
  provisionBroker,
} from "../../provision/index.js";
import {
  DEFAULT_HISTORY_ENCODING,
  executeRun,
  type HistoryChecker,
  type RunOptions,
} from "../../runner/index.js";
import {
  type DistributedOptions,
  executeDistributedRun,
  LocalWorkers,
  parseHostPort,
  readToken,
  WorkerClient,
} from "../../workers/index.js";
import {
  DEFAULT_WORKLOAD,
  loadWorkloadFile,
  resolveWorkloadArg,
  type WorkloadRun,
} from "../../workload/index.js";
import { checkHistoriesFit, freeBytes } from "../disk.js";
import { describeSearch, searchMaxRate, trialRun, writeSearches } from "../find-max.js";
import { progressDisplay } from "../progress.js";
import { selectPoints } from "../select.js";
import { renderSummary, SUMMARY_WIDTH, wrap } from "../summary.js";
import { defineCommand } from "./command.js";

export const DEFAULT_ADAPTER = "reference";

export interface RunArgs {
  readonly workloads: readonly string[];
  readonly adapter: readonly string[];
  readonly out: string | undefined;
  /** As typed (parsed by workloadOverrides, so that an error can echo what was given). */
  readonly duration: string | number | undefined;
  readonly warmup: string | number | undefined;
  readonly messages: string | number | undefined;
  readonly backlogScale: number | undefined;
  readonly rate: string | undefined;
  readonly set: readonly string[];
  readonly history: boolean;
  /** `--history-format`: compact (history.bbh, the default) or jsonl (history.jsonl). */
  readonly historyFormat?: HistoryEncoding;
  /** `--no-disk-check`: run even when the histories may not fit on the output disk. */
  readonly diskCheck?: boolean;
  readonly report: string;
  readonly provision: ProvisionMethod | undefined;
  readonly wide: boolean;
  /** `--only`: run just the points whose id contains every pattern (select.ts). */
  readonly only?: readonly string[];
  /** `--workers N`: local worker processes. */
  readonly workers?: number;
  /** `--worker HOST:PORT` (repeatable): remote workers. */
  readonly worker?: readonly string[];
  readonly tokenFile?: string;
  readonly workerWait?: number;
  readonly clockBoundMs?: number;
}

/** The run's workers as the command line asks for them, checked; null: one process, no workers. */
export function workerArgs(
  args: Pick<RunArgs, "workers" | "worker" | "tokenFile" | "workerWait" | "clockBoundMs">,
): { local: number; remote: WorkerClient[]; waitS: number; clockBoundMs: number } | null {
  const local = args.workers ?? 0;
  if (!Number.isSafeInteger(local) || local < 0 || local > 64)
    throw new UsageError(`--workers ${args.workers}: expected a number of local workers (1-64)`);
  const token = readToken(args.tokenFile);
  const remote = (args.worker ?? []).map((text) => {
    const at = parseHostPort(text);
    if (at === null)
      throw new UsageError(`--worker ${text}: expected HOST:PORT (a name or an address, and a port)`);
    return new WorkerClient(at, token);
  });
  const waitS = args.workerWait ?? 60;
  if (!(Number.isFinite(waitS) && waitS >= 0))
    throw new UsageError(`--worker-wait ${args.workerWait}: expected seconds (0 or more)`);
  const clockBoundMs = args.clockBoundMs ?? 5;
  if (!(Number.isFinite(clockBoundMs) && clockBoundMs > 0))
    throw new UsageError(`--clock-bound-ms ${args.clockBoundMs}: expected milliseconds (a positive number)`);
  if (local === 0 && remote.length === 0) return null;
  return { local, remote, waitS, clockBoundMs };
}

/** `--adapter a,b --adapter c` / `all` → factories, in registry order for `all`. */
export function chooseAdapters(names: readonly string[]): AdapterFactory[] {
  const wanted = names
    .flatMap((n) => n.split(","))
    .map((n) => n.trim())
    .filter((n) => n !== "");
  if (wanted.length === 0) return [findAdapter(DEFAULT_ADAPTER)];
  if (wanted.includes("all")) return [...ADAPTERS];
  return [...new Set(wanted)].map(findAdapter);
}

/**
 * `--set key=value` pairs: `key=value` applies to every adapter, `adapter.key=value` to that
 * adapter only (so one command can point several adapters at their own brokers).
 */
export function parseSettings(pairs: readonly string[]): {
  readonly all: Record<string, string>;
  readonly byAdapter: Record<string, Record<string, string>>;
} {
  const all: Record<string, string> = {};
  const byAdapter: Record<string, Record<string, string>> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set ${pair}: expected key=value or adapter.key=value`);
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const dot = key.indexOf(".");
    const scope = dot > 0 ? key.slice(0, dot) : null;
    if (scope !== null) {
      // No adapter setting has a dot in its name: a dotted key always names its adapter.
      if (!ADAPTERS.some((a) => a.name === scope))
        throw new UsageError(
          `--set ${pair}: no adapter "${scope}" (adapters: ${ADAPTERS.map((a) => a.name).join(", ")}); ` +
            "key=value sets a setting for every adapter",
        );
      byAdapter[scope] ??= {};
      byAdapter[scope][key.slice(dot + 1)] = value;
    } else {
      all[key] = value;
    }
  }
  return { all, byAdapter };
}

/** A number given on the command line (positive, or ≥ 0), or a usage error echoing what was typed. */
function numberArg(flag: string, given: string | number, zeroAllowed = false): number {
  const text = String(given).trim();
  const v = text === "" ? Number.NaN : Number(text);
  if (!(Number.isFinite(v) && (v > 0 || (zeroAllowed && v === 0))))
    throw new UsageError(
      `${flag} ${given}: expected ${zeroAllowed ? "seconds (0 or more)" : "a positive number"}`,
    );
  return v;
}

/**
 * A workload's `settings:` for one adapter: `key` applies to every adapter, `adapter.key` to that
 * adapter only (as with --set), so a matrix variant can set the reference broker's push mode
 * without passing it to the others.
 */
export function settingsFor(
  settings: Readonly<Record<string, string>>,
  adapter: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  const scoped: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    const dot = key.indexOf(".");
    const scope = dot > 0 ? key.slice(0, dot) : null;
    if (scope !== null && ADAPTERS.some((a) => a.name === scope)) {
      if (scope === adapter) scoped[key.slice(dot + 1)] = value;
    } else {
      out[key] = value;
    }
  }
  return { ...out, ...scoped };
}

/** The command line's workload overrides, checked like workload fields. */
export function workloadOverrides(
  args: Pick<RunArgs, "duration" | "messages" | "rate"> & Partial<Pick<RunArgs, "warmup">>,
): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (args.duration !== undefined) o["durationS"] = numberArg("--duration", args.duration);
  if (args.warmup !== undefined) o["warmupS"] = numberArg("--warmup", args.warmup, true);
  if (args.messages !== undefined) o["messages"] = numberArg("--messages", args.messages);
  if (args.rate !== undefined) {
    const rate = args.rate === "max" || args.rate === "find-max" ? args.rate : Number(args.rate);
    if (typeof rate === "number" && !(Number.isFinite(rate) && rate > 0)) {
      throw new UsageError(
        `--rate ${args.rate}: expected messages per second (a positive number), max or find-max`,
      );
    }
    o["rate"] = rate;
  }
  return o;
}

/**
 * Makes the output directory (and checks it can hold run directories) before anything runs:
 * a file in its place, or a directory that cannot be created, is a usage error naming --out.
 */
export async function prepareOutDir(outDir: string, given: boolean): Promise<{ created: boolean }> {
  const flag = given ? `--out ${outDir}` : `the output directory ${outDir} (--out)`;
  let created = true;
  try {
    const st = await stat(outDir);
    if (!st.isDirectory()) throw new UsageError(`${flag}: is a file, not a directory; name a directory`);
    created = false;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR")
      throw new UsageError(`${flag}: cannot use it (${(err as Error).message})`);
  }
  try {
    makeDirs(outDir);
    await access(outDir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOTDIR" ? "a part of the path is a file" : (err as Error).message;
    throw new UsageError(`${flag}: cannot create or write it (${why})`);
  }
  return { created };
}

/** A run that makes `brokerbench run` exit 1: it failed, measured nothing to go by, or was judged invalid. */
export function failedRun(r: RunResult): boolean {
  return r.status === "error" || r.status === "inconclusive" || (r.verdict !== null && !r.verdict.valid);
}

/**
 * Ctrl-C while running: the first stops the current run gracefully (it stops producing, drains
 * briefly, removes its broker resources and writes what it measured) and no further run starts;
 * the second exits at once.
 */
function interruptOnCtrlC(): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  // Whoever listened before (nobody, from the command line) hears nothing until the runs are over.
  const before = process.listeners("SIGINT");
  process.removeAllListeners("SIGINT");
  const onSigint = () => {
    if (!controller.signal.aborted) {
      console.error(
        "\nbrokerbench: interrupted: stopping this run and keeping what it measured (Ctrl-C again to quit at once)",
      );
      controller.abort();
      return;
    }
    console.error("brokerbench: quitting at once");
    process.exit(EXIT.interrupted);
  };
  process.on("SIGINT", onSigint);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", onSigint);
      for (const l of before) process.on("SIGINT", l as () => void);
    },
  };
}

function timestamp(d = new Date()): string {
  return d.toISOString().replace(/:/g, "-").replace(/\..*$/, "");
}

export interface PlannedRun {
  readonly runId: string;
  readonly run: WorkloadRun;
  readonly factory: AdapterFactory;
  /** The workload's `settings:` under the command line's `--set`. */
  readonly settings: AdapterSettings;
  /** The command line's `--set` for this adapter alone (wins over a provisioned broker's settings). */
  readonly cliSettings: AdapterSettings;
  /** The workload's `settings:` that apply to this adapter. */
  readonly workloadSettings: AdapterSettings;
}

/**
 * Loads and validates everything before anything runs, so bad input costs no broker time. A matrix
 * point that differs from an earlier one only by settings scoped to other adapters is the same run
 * on this adapter: it is left out, and `onSkip` says so.
 */
export async function planRuns(
  args: RunArgs,
  onSkip: (line: string) => void = () => {},
): Promise<PlannedRun[]> {
  const overrides = workloadOverrides(args);
  const cliSettings = parseSettings(args.set);
  const names = args.workloads.length > 0 ? args.workloads : [DEFAULT_WORKLOAD];
  const runs: WorkloadRun[] = [];
  if (args.backlogScale !== undefined && !(Number.isFinite(args.backlogScale) && args.backlogScale > 0)) {
    throw new UsageError(`--backlog-scale ${args.backlogScale}: expected a positive factor (e.g. 0.001)`);
  }
  const options = args.backlogScale === undefined ? {} : { backlogScale: args.backlogScale };
  for (const name of names) {
    runs.push(...(await loadWorkloadFile(resolveWorkloadArg(name), overrides, options)));
  }
  const chosen = selectPoints(runs, args.only ?? []);
  const factories = chooseAdapters(args.adapter);
  const planned: PlannedRun[] = [];
  const used = new Set<string>();
  /** Per adapter and workload (settings left out): the runs planned, with their effective settings. */
  const seen = new Map<string, { runId: string; settings: string; raw: string }[]>();
  for (const run of chosen) {
    for (const factory of factories) {
      const cli = { ...cliSettings.all, ...cliSettings.byAdapter[factory.name] };
      const workloadSettings = settingsFor(run.workload.settings, factory.name);
      const settings = { ...workloadSettings, ...cli };
      const key = JSON.stringify([factory.name, run.file, { ...run.workload, settings: null }]);
      const effective = JSON.stringify(Object.entries(settings).sort());
      const raw = JSON.stringify(Object.entries(run.workload.settings).sort());
      const same = seen.get(key)?.find((p) => p.settings === effective && p.raw !== raw);
      if (same !== undefined) {
        onSkip(
          `${run.id} on ${factory.name}: the same run as ${same.runId} (its settings are for other adapters)`,
        );
        continue;
      }
      let runId = factories.length > 1 ? `${run.id}-${factory.name}` : run.id;
      for (let n = 2; used.has(runId); n++) runId = `${run.id}-${n}`;
      used.add(runId);
      capabilitiesOf(factory, settings); // a setting the adapter refuses is a usage error, before any run
      planned.push({ runId, run, factory, settings, cliSettings: cli, workloadSettings });
      seen.set(key, [...(seen.get(key) ?? []), { runId, settings: effective, raw }]);
    }
  }
  return planned;
}

/**
 * Starts a broker for every adapter that has one to start (the embedded reference broker has none)
 * and points that adapter's runs at it; the user's own --set still wins.
 */
async function provision(
  planned: readonly PlannedRun[],
  method: ProvisionMethod,
  started: ProvisionedBroker[],
): Promise<PlannedRun[]> {
  const names = [...new Set(planned.map((p) => p.factory.name))];
  const provisionable = names.filter((n) => provisionableAdapters().includes(n));
  if (provisionable.length === 0) brokerImage(names[0] ?? ""); // throws the one-line reason
  const settings = new Map<string, Record<string, string>>();
  for (const name of provisionable) {
    console.error(`provisioning a broker for ${name} (${method})...`);
    const broker = await provisionBroker(name, method);
    started.push(broker);
    console.error(`${name}: broker at ${broker.address}`);
    settings.set(name, broker.settings);
  }
  return planned.map((p) => {
    const s = settings.get(p.factory.name);
    return s ? { ...p, settings: { ...p.workloadSettings, ...s, ...p.cliSettings } } : p;
  });
}

const checkHistory: HistoryChecker = (path, expect) => checkHistoryFile(path, { expect });

export const runCommand = defineCommand<RunArgs>({
  command: "run [workloads..]",
  describe: "Run workloads (files or built-in names; default: the default suite) and print a summary",
  builder: (y) =>
    y
      .positional("workloads", {
        type: "string",
        array: true,
        default: [] as string[],
        describe: "workload files, or names of built-in workloads (see `brokerbench list`)",
      })
      .option("adapter", {
        alias: "a",
        type: "string",
        array: true,
        default: [DEFAULT_ADAPTER],
        describe: "adapter(s) to run against: a name, several (comma-separated or repeated), or all",
      })
      .option("out", {
        alias: "o",
        type: "string",
        describe: "output directory (default: ./results/<timestamp>/), one subdirectory per run",
      })
      .option("duration", {
        type: "string",
        describe: "seconds of producing per run (replaces durationS/messages)",
      })
      .option("warmup", {
        type: "string",
        describe:
          "seconds at the start left out of the figures (replaces warmupS / OMB's warmupDurationMinutes)",
      })
      .option("messages", { type: "string", describe: "messages to send per run (replaces the duration)" })
      .option("backlog-scale", {
        type: "number",
        describe:
          "multiply the backlog mode's size (backlogBytes, OMB consumerBacklogSizeGB), for a smaller machine",
      })
      .option("rate", {
        type: "string",
        describe: "messages per second over all producers, max, or find-max (the highest sustainable rate)",
      })
      .option("set", {
        type: "string",
        array: true,
        default: [] as string[],
        describe:
          "adapter setting key=value, or adapter.key=value for one adapter (repeatable; see `brokerbench list`)",
      })
      .option("history", {
        type: "boolean",
        default: true,
        describe: "record the history and check it (--no-history: figures only, no verdict)",
      })
      .option("history-format", {
        choices: HISTORY_ENCODINGS,
        default: DEFAULT_HISTORY_ENCODING,
        describe:
          "compact: history.bbh, a few bytes a message (`brokerbench history` prints it as JSON lines); jsonl: history.jsonl",
      })
      .option("disk-check", {
        type: "boolean",
        default: true,
        describe: "refuse runs whose histories may not fit on the output disk (--no-disk-check: run anyway)",
      })
      .option("provision", {
        type: "string",
        choices: PROVISION_METHODS,
        describe: "start each adapter's broker first (testcontainers: needs Docker or Podman), stop it after",
      })
      .option("report", {
        type: "string",
        default: "html,md",
        describe: "report formats written into --out after the runs (html,svg,png,md,omb), or none",
      })
      .option("only", {
        type: "string",
        array: true,
        default: [] as string[],
        describe:
          "run only the points whose id contains this text (* for any text; repeat to narrow), e.g. --only fault=broker-crash",
      })
      .option("workers", {
        type: "number",
        describe: "run each workload's producers and consumers in N local worker processes",
      })
      .option("worker", {
        type: "string",
        array: true,
        describe: "a worker (brokerbench worker) at HOST:PORT to run a share of the load (repeatable)",
      })
      .option("token-file", {
        type: "string",
        describe: "file holding the workers' shared token (default: the environment's BROKERBENCH_TOKEN)",
      })
      .option("worker-wait", {
        type: "number",
        default: 60,
        describe: "seconds to wait for each --worker to become reachable (retrying with backoff)",
      })
      .option("clock-bound-ms", {
        type: "number",
        default: 5,
        describe: "refuse a worker whose clock offset is known less precisely than this (ms)",
      })
      .option("wide", {
        type: "boolean",
        default: false,
        describe: "summary with every column and a row per point, however wide (default: fits 120 columns)",
      })
      .example("$0 run", "the default suite on the embedded reference broker")
      .example("$0 run default --adapter all", "the default suite on every adapter")
      .example("$0 run delivery-modes --only exactly-once --only broker-crash", "two points of a suite")
      .example(
        "$0 run my.yaml --duration 30 --rate 50000 --set url=nats://host:4222",
        "",
      ) as unknown as Argv<RunArgs>,
  run: async (args) => {
    const formats = args.report === "none" ? null : [...parseFormats([args.report])];
    const distributed = workerArgs(args);
    let planned = await planRuns(args, (line) => console.error(`brokerbench: skipped ${line}`));
    const outDir = resolve(args.out ?? join("results", timestamp()));
    const out = await prepareOutDir(outDir, args.out !== undefined);
    const historyFormat = args.historyFormat ?? DEFAULT_HISTORY_ENCODING;
    if (args.history && args.diskCheck !== false) {
      const workloads = planned.map((p) => p.run.workload);
      try {
        checkHistoriesFit(workloads, historyFormat, outDir, await freeBytes(outDir));
      } catch (err) {
        if (out.created) await rm(outDir, { recursive: true, force: true });
        throw err;
      }
    }
    const started: ProvisionedBroker[] = [];
    let localWorkers: LocalWorkers | null = null;
    let workers: DistributedOptions | null = null;
    const results: RunResult[] = [];
    const searches: FindMaxRecord[] = [];
    const interrupt = interruptOnCtrlC();
    // Until the reports are written, a second Ctrl-C still quits at once (exit 130) rather than
    // killing the process by the signal's default action.
    try {
      try {
        if (args.provision) planned = await provision(planned, args.provision, started);
        if (distributed !== null) {
          localWorkers = distributed.local > 0 ? await LocalWorkers.start(distributed.local) : null;
          workers = {
            workers: [...(localWorkers?.clients ?? []), ...distributed.remote],
            workerWaitS: distributed.waitS,
            clockBoundMs: distributed.clockBoundMs,
          };
          console.error(
            `brokerbench: ${workers.workers.length} worker(s): ${workers.workers.map((w) => w.address).join(", ")}`,
          );
        }
        /** Runs one run (a planned one, or a find-max trial), records it and says how it went. */
        const runOne = async (p: PlannedRun, label: string): Promise<RunResult> => {
          const bar = progressDisplay(label);
          const runStarted = performance.now();
          let result: RunResult;
          try {
            const options: RunOptions = {
              run: p.run,
              runId: p.runId,
              factory: p.factory,
              settings: p.settings,
              dir: join(outDir, p.runId),
              history: args.history,
              historyEncoding: historyFormat,
              check: checkHistory,
              onProgress: (pr) => bar.update(pr),
              signal: interrupt.signal,
              onWarning: (line) => {
                bar.stop();
                console.error(`brokerbench: warning: ${label}: ${line}`);
              },
            };
            result =
              workers === null ? await executeRun(options) : await executeDistributedRun(options, workers);
          } finally {
            bar.stop();
          }
          results.push(result);
          const verdict = result.verdict ? (result.verdict.valid ? ", valid" : ", INVALID") : "";
          // The wall time the user waited (a run that failed to connect has no run time of its own).
          const tookS = (performance.now() - runStarted) / 1000;
          console.error(`${label} on ${p.factory.name}: ${result.status}${verdict} (${tookS.toFixed(1)} s)`);
          return result;
        };
        for (const [i, p] of planned.entries()) {
          if (interrupt.signal.aborted) break;
          const label = `[${i + 1}/${planned.length}] ${p.runId}`;
          if (p.run.workload.rate !== "find-max") {
            await runOne(p, label);
            continue;
          }
          let n = 0;
          const search = await searchMaxRate(
            p.run.workload,
            (rate) =>
              runOne({ ...p, ...trialRun(p.run, p.runId, rate) }, `${label} rate=${rate} (trial ${++n})`),
            () => interrupt.signal.aborted,
          );
          const record = { runId: p.runId, adapter: p.factory.name, ...search };
          searches.push(record);
          console.error(describeSearch(record));
        }
      } finally {
        await localWorkers?.stop();
        for (const b of started) {
          await b
            .stop()
            .catch((err: unknown) => console.error(`brokerbench: stopping ${b.address} failed: ${err}`));
        }
      }
      console.log(renderSummary(results, { wide: args.wide }));
      for (const search of searches) console.log(describeSearch(search));
      console.log(`\nresults: ${outDir}`);
      if (searches.length > 0) console.log(`find-max: ${await writeSearches(outDir, searches)}`);
      if (formats) {
        try {
          const written = await writeReports(outDir, { formats });
          const documents = written.filter((f) => /report\.(html|md)$/.test(f));
          if (written.length > 0)
            console.log(
              `reports: ${(documents.length > 0 ? documents : [outDir]).join(", ")}` +
                (written.length > documents.length ? ` (${written.length} files)` : ""),
            );
          if (formats.includes("omb")) console.log(wrap(OMB_LATENCY_NOTE, SUMMARY_WIDTH, "").join("\n"));
        } catch (err) {
          console.error(
            `brokerbench: writing the reports failed: ${err instanceof Error ? err.message : err}`,
          );
        }
      }
      if (interrupt.signal.aborted) {
        const skipped = planned.length - results.length;
        console.error(
          `brokerbench: interrupted: results.json, the reports and the history of what ran are in ${outDir}` +
            (skipped > 0 ? `; ${skipped} run(s) not started` : ""),
        );
        return EXIT.interrupted;
      }
      if (results.length > 0 && results.every((r) => r.status === "not-supported")) {
        console.error(
          `brokerbench: nothing ran: every run is not supported by its adapter (${results.length} of ${results.length}; reasons above)`,
        );
        return EXIT.invalid;
      }
      return results.some(failedRun) ? EXIT.invalid : EXIT.ok;
    } finally {
      interrupt.dispose();
    }
  },
});
