/**
 * `brokerbench service start|status|stop|list`: brokers brokerbench runs itself (harness/services/).
 * A started service outlives this command; status and stop find it through its state file.
 * Exit codes: 0 done (also: already running, nothing to stop), 1 the service did not come up,
 * 2 usage: unknown service, a missing program (java, mvn), a taken port, a bad option.
 */
import { relative } from "node:path";
import { findAdapter } from "../../../adapters/registry.js";
import { EXIT, type ExitCode, UsageError } from "../../../core/errors.js";
import {
  brokerbenchHome,
  cacheDir,
  HOST_MODES,
  type HostMode,
  type InstanceStatus,
  SERVICES,
  ServiceRunningError,
  ServiceStartError,
  serviceDefinition,
  serviceNames,
  serviceStatus,
  startService,
  stopService,
} from "../../services/index.js";
import { renderTable } from "../summary.js";
import { defineCommand } from "./command.js";

const ACTIONS = ["start", "stop", "status", "list"] as const;
type Action = (typeof ACTIONS)[number];

interface ServiceArgs {
  readonly action: Action;
  readonly name?: string;
  readonly port?: number;
  readonly dataDir?: string;
  readonly profile?: string;
  readonly nodes?: number;
  readonly hosts?: HostMode;
  readonly wipe?: boolean;
}

/** Which options each action takes; any other is a usage error. */
const OPTIONS_OF: Readonly<Record<Action, readonly (keyof ServiceArgs)[]>> = {
  start: ["port", "dataDir", "profile", "nodes", "hosts"],
  stop: ["wipe"],
  status: [],
  list: [],
};

const FLAG: Readonly<Record<string, string>> = {
  port: "--port",
  dataDir: "--data-dir",
  profile: "--profile",
  nodes: "--nodes",
  hosts: "--hosts",
  wipe: "--wipe",
};

function checkOptions(args: ServiceArgs): void {
  for (const key of ["port", "dataDir", "profile", "nodes", "hosts", "wipe"] as const) {
    if (args[key] !== undefined && !OPTIONS_OF[args.action].includes(key)) {
      throw new UsageError(
        `service ${args.action}: ${FLAG[key]} goes with ${key === "wipe" ? "stop" : "start"}`,
      );
    }
  }
  const needsName = args.action === "start" || args.action === "stop";
  if (needsName && args.name === undefined) {
    throw new UsageError(
      `service ${args.action}: name a service; known services: ${serviceNames().join(", ")}`,
    );
  }
  if (!needsName && args.name !== undefined) {
    throw new UsageError(`service ${args.action} takes no name (got "${args.name}")`);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A path under the current directory or $HOME shown short, any other in full. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== "" && !rel.startsWith("..") ? rel : path;
}

async function start(args: ServiceArgs & { name: string }): Promise<ExitCode> {
  const began = Date.now();
  try {
    const instance = await startService(args.name, {
      port: args.port,
      dataDir: args.dataDir,
      profile: args.profile,
      nodes: args.nodes,
      hosts: args.hosts,
      progress: (line) => console.error(`brokerbench: ${args.name}: ${line}`),
    });
    const first = instance.nodes[0];
    const pids = instance.nodes.map((n) => n.pid).join(", ");
    // Per adapter the service serves, the settings that adapter has (nats: url; jetstream: url, storage).
    const setting = serviceDefinition(instance.service)
      .adapters.flatMap((adapter) =>
        Object.entries(instance.settings)
          .filter(([k]) => k in findAdapter(adapter).settings)
          .map(([k, v]) => `--set ${adapter}.${k}=${v}`),
      )
      .join(" ");
    console.log(
      [
        `${instance.instance} ready at ${instance.address} in ${seconds(Date.now() - began)} (pid ${pids}, profile ${instance.profile})`,
        `  data  ${first?.dataDir ?? "?"}`,
        `  log   ${first?.logFile ?? "?"}`,
        `  use   ${setting}`,
        `  stop  brokerbench service stop ${instance.instance} [--wipe]`,
      ].join("\n"),
    );
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ServiceRunningError) {
      console.log(`${err.message}; stop it first to start it with other options`);
      return EXIT.ok;
    }
    if (err instanceof ServiceStartError) {
      console.error(`brokerbench: ${err.message}`);
      return EXIT.invalid;
    }
    throw err;
  }
}

function statusRows(statuses: readonly InstanceStatus[]): string[][] {
  return statuses.map((s) => [
    s.instance,
    s.service,
    s.condition,
    s.address,
    s.nodes
      .map((n) => (n.pid === null ? "-" : `${n.pid}${n.condition === "running" ? "" : ` (${n.condition})`}`))
      .join(", "),
    s.profile,
    s.condition === "stopped" || s.condition === "stale" ? "-" : s.startedAt.replace(/\.\d+Z$/, "Z"),
    shown(s.dataDir),
  ]);
}

function status(): ExitCode {
  const statuses = serviceStatus();
  if (statuses.length === 0) {
    console.log(`no services (state in ${shown(brokerbenchHome())}/services)`);
    return EXIT.ok;
  }
  console.log(
    renderTable(
      ["instance", "service", "state", "address", "pid", "profile", "started", "data"],
      statusRows(statuses),
    ),
  );
  const stale = statuses.filter((s) => s.condition === "stale" || s.condition === "degraded");
  for (const s of stale) {
    const log = s.nodes.find((n) => n.condition === "gone")?.logFile;
    console.log(
      `${s.instance}: ${s.condition === "stale" ? "no process left" : "a node is gone"} (crashed or killed; log: ${log ?? "?"}); \`brokerbench service stop ${s.instance}\` clears it`,
    );
  }
  return EXIT.ok;
}

async function stop(args: ServiceArgs & { name: string }): Promise<ExitCode> {
  const began = Date.now();
  const report = await stopService(args.name, { wipe: args.wipe === true });
  if (report === null) {
    if (!serviceNames().includes(args.name)) {
      const instances = serviceStatus().map((s) => s.instance);
      throw new UsageError(
        `no service or instance "${args.name}"; known services: ${serviceNames().join(", ")}` +
          (instances.length > 0 ? `; instances: ${instances.join(", ")}` : ""),
      );
    }
    console.log(`${args.name} is not running${args.wipe === true ? "; its data directory is removed" : ""}`);
    return EXIT.ok;
  }
  const { status: s, ended } = report;
  const forced = ended.filter((e) => e.how === "kill").map((e) => e.id);
  const what =
    ended.length === 0
      ? `${s.instance} was not running (${s.condition})`
      : `${s.instance} stopped in ${seconds(Date.now() - began)}` +
        (forced.length > 0 ? ` (node ${forced.join(", ")} did not exit on SIGTERM: killed)` : "");
  const data = report.wiped ? "data removed" : `data kept in ${shown(s.dataDir)} (--wipe removes it)`;
  console.log(`${what}; ${data}`);
  return EXIT.ok;
}

function list(): ExitCode {
  const machine = { env: process.env, cacheDir: cacheDir(brokerbenchHome()) };
  const rows = SERVICES.map((d) => {
    const missing = d.missing(machine);
    return [
      d.name,
      d.adapters.join(", "),
      d.defaultPort === 0 ? "free" : String(d.defaultPort),
      d.profiles.map((p) => p.name).join(", "),
      missing === null ? "yes" : `no: ${missing}`,
      d.description,
    ];
  });
  console.log(renderTable(["service", "adapters", "port", "profiles", "can start", "description"], rows));
  return EXIT.ok;
}

export const serviceCommand = defineCommand<ServiceArgs>({
  command: "service <action> [name]",
  describe: "Start, list and stop brokers brokerbench runs itself (kafka, …): start|stop|status|list",
  builder: (y) =>
    y
      .positional("action", { choices: ACTIONS, describe: "what to do" })
      .positional("name", { type: "string", describe: "service (start), or instance (stop)" })
      .option("port", {
        type: "number",
        describe: "start: client port (0: a free one) [default: the service's]",
      })
      .option("data-dir", {
        type: "string",
        describe: "start: where the data goes [default: under $BROKERBENCH_HOME]",
      })
      .option("profile", {
        type: "string",
        describe: "start: a profile of the service (service list shows them)",
      })
      .option("nodes", { type: "number", describe: "start: cluster size, where the service offers one" })
      .option("hosts", {
        choices: HOST_MODES,
        describe:
          "start: where a cluster's nodes run: loopback (127.0.0.1) or netns (each in a network namespace with its own address, so partition faults can cut them; root + ip)",
      })
      .option("wipe", { type: "boolean", describe: "stop: also remove the data" })
      .example("$0 service start kafka", "Kafka on 127.0.0.1:9092, data in ~/.brokerbench/services/kafka")
      .example("$0 service start kafka-cluster --hosts netns", "3 Kafka nodes, each in its own namespace")
      .example("$0 service status", "what runs, checked against the live processes")
      .example("$0 service stop kafka --wipe", "stop it (SIGTERM) and remove its data")
      .strict() as never,
  async run(args) {
    checkOptions(args);
    switch (args.action) {
      case "start":
        return start({ ...args, name: args.name! });
      case "stop":
        return stop({ ...args, name: args.name! });
      case "status":
        return status();
      case "list":
        return list();
    }
  },
});
