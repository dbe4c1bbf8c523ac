/**
 * Workload files → validated runs. Every problem is a UsageError of one line naming the file and
 * the field, so `brokerbench run` exits 2 before connecting to anything.
 */

import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { parse as parseYaml, YAMLError } from "yaml";
import type { z } from "zod";
import { UsageError } from "../../core/errors.js";
import { PAYLOAD_HEADER_BYTES } from "../../core/payload.js";
import { type FaultContext, type FaultSpec, faultProblem } from "../faults/kinds.js";
import { expandNemesis, NemesisError, randomSeed } from "../faults/nemesis.js";
import { KAFKA_CLUSTER_PROFILES, nodeRoles } from "../services/kafka-cluster/config.js";
import { expandMatrix, MatrixError, pointId, withSettings } from "./matrix.js";
import { fromOmb, isOmbWorkload, OMB_FIELD_OF, ombSchema } from "./omb.js";
import { WORKLOAD_FIELD_NAMES, type Workload, workloadSchema } from "./schema.js";

/**
 * What the schema cannot check alone, against the workload's own shape: each fault's target must
 * exist and fit in the producing time (the fault table's `faultProblem`), the reacting and the late
 * group must make sense.
 */
function faultContext(w: Workload): FaultContext {
  return {
    groups: Array.from({ length: w.groups }, (_, g) => `g${g + 1}`),
    consumersPerGroup: w.consumersPerGroup,
    producers: w.topics * w.producersPerTopic,
    provides:
      w.server !== "spawn"
        ? []
        : w.serverCluster !== "none" && w.serverHosts === "netns"
          ? ["broker-process", "hosts"]
          : ["broker-process"],
    ...(w.server === "spawn" && w.serverCluster !== "none"
      ? {
          clusterNodes: 3,
          clusterHosts: clusterHostCount(w.serverCluster, w.serverProfile),
          topics: w.topics,
          partitions: w.partitions,
        }
      : {}),
    durationS: w.messages === null ? w.durationS : null,
  };
}

/** Processes of the cluster (hosts under `serverHosts: netns`): Kafka's unclean profile adds a controller. */
function clusterHostCount(cluster: string, profile: string | null): number {
  if (cluster !== "kafka-cluster" || profile === null) return 3;
  return KAFKA_CLUSTER_PROFILES.some((p) => p.name === profile) ? nodeRoles(profile).length : 3;
}

export function checkFaultTargets(w: Workload): string | null {
  const context = faultContext(w);
  for (const [i, f] of w.faults.entries()) {
    const problem = faultProblem(f, context);
    if (problem !== null) return `field "faults.${i}.${problem.field}": ${problem.message}`;
  }
  if (w.findMax !== null && w.rate !== "find-max") return 'field "findMax": applies only with rate: find-max';
  if (w.rate === "find-max" && w.messages !== null)
    return 'field "rate": find-max runs a trial per rate for a duration (durationS), not a message count';
  if (w.serverCluster !== "none" && w.server !== "spawn")
    return 'field "serverCluster": a cluster is started for the run only with server: spawn';
  if (w.serverHosts !== "loopback" && w.serverCluster === "none")
    return 'field "serverHosts": only a cluster (serverCluster) runs its members in namespaces';
  if (w.backlogBytes !== null && w.messages !== null)
    return 'field "backlogBytes": backlog mode runs for a duration (durationS), not a message count';
  if (w.reactors !== null && w.reactors.group > w.groups)
    return `field "reactors.group": group ${w.reactors.group} does not exist (groups: ${w.groups})`;
  if (w.lateGroup !== null && w.messages === null && w.lateGroup.joinAtS >= w.durationS)
    return `field "lateGroup.joinAtS": ${w.lateGroup.joinAtS} s is not before producing ends (durationS ${w.durationS})`;
  return null;
}

/**
 * The workload with its nemesis expanded: the generated faults follow the written ones, and the
 * nemesis carries the seed it was expanded with (a random one when it named none).
 */
function withNemesis(w: Workload, seed: number, error: (field: string, message: string) => Error): Workload {
  if (w.nemesis === null) return w;
  const nemesis = { ...w.nemesis, seed: w.nemesis.seed ?? seed };
  let generated: FaultSpec[];
  try {
    generated = expandNemesis(nemesis, w.messages === null ? w.durationS : null);
  } catch (err) {
    if (err instanceof NemesisError) throw error(err.field, err.message);
    throw err;
  }
  const problem = faultProblem(generated[0]!, faultContext(w));
  if (problem !== null) throw error(problem.field === "duration" ? "count" : problem.field, problem.message);
  return { ...w, nemesis, faults: [...w.faults, ...generated] };
}

/** One run a workload file asks for: one point of its matrix, validated. */
export interface WorkloadRun {
  /** Workload name plus the matrix point, e.g. `default-delivery=push`; unique within a file. */
  readonly id: string;
  readonly workload: Workload;
  readonly file: string | null;
  readonly matrix: Readonly<Record<string, unknown>>;
  readonly format: "native" | "omb";
}

const FILE_KEYS = new Set<string>([...WORKLOAD_FIELD_NAMES, "settings", "matrix"]);
const isField = (name: string) => (WORKLOAD_FIELD_NAMES as string[]).includes(name) && name !== "name";

function closest(word: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** How a native field is named to the user: its command-line flag, the OMB field it came from, or itself. */
type FieldNamer = (field: string) => string;

/** Command-line options that set workload fields (`brokerbench run --duration …`). */
const FLAG_OF: Readonly<Record<string, string>> = {
  durationS: "--duration",
  warmupS: "--warmup",
  messages: "--messages",
  rate: "--rate",
};

function fieldNamer(overrides: Readonly<Record<string, unknown>>, format: WorkloadRun["format"]): FieldNamer {
  return (field) => {
    const flag = FLAG_OF[field];
    if (flag !== undefined && field in overrides) return flag;
    const omb = format === "omb" ? OMB_FIELD_OF[field] : undefined;
    return `field "${omb ?? field}"`;
  };
}

/** The first zod issue as `field "x": message` (one line). */
function describeIssue(
  error: z.ZodError,
  knownKeys: Iterable<string>,
  name: FieldNamer = (f) => `field "${f}"`,
): string {
  const issue = error.issues[0];
  if (!issue) return "invalid workload";
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : "";
  if (issue.code === "unrecognized_keys") {
    const key = String(issue.keys[0]);
    const prefix = issue.path.length > 0 ? `${issue.path.join(".")}.` : "";
    const hint = issue.path.length === 0 ? closest(key, knownKeys) : null;
    return `unknown field "${prefix}${key}"${hint ? ` (did you mean "${hint}"?)` : ""}${more}`;
  }
  const path = issue.path.map(String);
  const field =
    path.length === 1 ? `${name(path[0]!)}: ` : path.length > 1 ? `field "${path.join(".")}": ` : "";
  const message = issue.message.replace(/^Invalid input: /, "");
  return `${field}${message}${more}`;
}

/**
 * A YAML syntax error as one line: the file, line and column, what is wrong (without the parser's
 * own "at line …:" tail), and the offending line's text.
 */
export function yamlError(err: unknown, text: string, file: string): string {
  const message = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
  const what = message.replace(/\s+at line \d+, column \d+:?\s*$/, "").replace(/[.:]\s*$/, "");
  const pos = err instanceof YAMLError ? err.linePos?.[0] : undefined;
  if (pos === undefined) return `${file}: not valid YAML: ${what}`;
  const source = text.split(/\r?\n/)[pos.line - 1] ?? "";
  const shown = source.length > 80 ? `${source.slice(0, 77)}...` : source;
  return `${file}:${pos.line}:${pos.col}: not valid YAML: ${what}: ${JSON.stringify(shown)}`;
}

/** How a file is loaded besides its own fields. */
export interface LoadOptions {
  /**
   * Multiplies the backlog mode's size (`backlogBytes`, OMB's `consumerBacklogSizeGB`), so a
   * workload written for a large machine builds a backlog this one can hold (`--backlog-scale`).
   */
  readonly backlogScale?: number;
}

/**
 * Parses the text of a workload file into its runs. `file` names it in errors; `overrides` are the
 * command line's fields (durationS, warmupS, messages, rate), which win over the file's.
 */
export function parseWorkloadText(
  text: string,
  file: string,
  overrides: Readonly<Record<string, unknown>> = {},
  options: LoadOptions = {},
): WorkloadRun[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new UsageError(yamlError(err, text, file));
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new UsageError(`${file}: a workload file must be a mapping of fields (see README, Workloads)`);
  }
  const defaultName = basename(file, extname(file));
  let fields: Record<string, unknown>;
  let matrix: unknown;
  let format: WorkloadRun["format"];
  if (isOmbWorkload(raw as Record<string, unknown>)) {
    const omb = ombSchema.safeParse(raw);
    if (!omb.success) {
      throw new UsageError(`${file}: OpenMessaging Benchmark workload: ${describeIssue(omb.error, [])}`);
    }
    fields = fromOmb(omb.data);
    format = "omb";
    // OMB runs its test for testDurationMinutes after the warmup: a warmup given on the command
    // line replaces the file's in that sum, unless the duration is given too.
    if ("warmupS" in overrides && !("durationS" in overrides) && typeof overrides["warmupS"] === "number") {
      fields["durationS"] = omb.data.testDurationMinutes * 60 + overrides["warmupS"];
    }
  } else {
    const { matrix: m, ...rest } = raw as Record<string, unknown>;
    matrix = m;
    fields = { name: defaultName, ...rest };
    format = "native";
    for (const key of Object.keys(rest)) {
      if (!FILE_KEYS.has(key)) {
        const hint = closest(key, FILE_KEYS);
        throw new UsageError(
          `${file}: unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}; ` +
            `known fields: ${[...FILE_KEYS].join(", ")}`,
        );
      }
    }
  }
  // One seed for every point of the file whose nemesis names none: the points share a schedule.
  const seed = randomSeed();
  let points: ReturnType<typeof expandMatrix>;
  try {
    points = expandMatrix(matrix, isField);
  } catch (err) {
    if (err instanceof MatrixError) throw new UsageError(`${file}: field "${err.path}": ${err.message}`);
    throw err;
  }
  return points.map((point) => {
    const merged = withSettings({ ...fields, ...point.overrides, ...overrides }, fields, point.overrides);
    // A count given on the command line replaces the workload's duration and vice versa.
    if ("durationS" in overrides && !("messages" in overrides)) merged["messages"] = null;
    const name = fieldNamer(overrides, format);
    const parsed = workloadSchema.safeParse(merged);
    if (!parsed.success) {
      const where = Object.keys(point.label).length > 0 ? ` (matrix point ${pointId("", point.label)})` : "";
      throw new UsageError(`${file}: ${describeIssue(parsed.error, FILE_KEYS, name)}${where}`);
    }
    let w = parsed.data;
    if (w.backlogBytes !== null && options.backlogScale !== undefined) {
      w = { ...w, backlogBytes: Math.max(1, Math.round(w.backlogBytes * options.backlogScale)) };
    }
    if (w.nemesis !== null) {
      const where = Object.keys(point.label).length > 0 ? ` (matrix point ${pointId("", point.label)})` : "";
      w = withNemesis(
        w,
        seed,
        (field, message) => new UsageError(`${file}: field "nemesis.${field}": ${message}${where}`),
      );
    }
    if (w.messages === null && w.warmupS >= w.durationS) {
      const where = Object.keys(point.label).length > 0 ? ` (matrix point ${pointId("", point.label)})` : "";
      throw new UsageError(
        `${file}: ${warmupProblem(w, name, format, overrides, raw as Record<string, unknown>)}${where}`,
      );
    }
    const pipeline = pipelineProblem(w);
    if (pipeline !== null) {
      const where = Object.keys(point.label).length > 0 ? ` (matrix point ${pointId("", point.label)})` : "";
      throw new UsageError(`${file}: ${pipeline}${where}`);
    }
    const faultProblem = checkFaultTargets(w);
    if (faultProblem !== null) {
      const where = Object.keys(point.label).length > 0 ? ` (matrix point ${pointId("", point.label)})` : "";
      throw new UsageError(`${file}: ${faultProblem}${where}`);
    }
    return {
      id: pointId(w.name, point.label),
      workload: w,
      file,
      matrix: point.label,
      format,
    };
  });
}

/** Minimum pipeline message: the payload header, then count, sum, the input's id and send time. */
export const PIPELINE_MIN_MESSAGE_BYTES = PAYLOAD_HEADER_BYTES + 32;

/** A pipeline workload sets a field it has no use for, or lacks what it needs: the field and why. */
function pipelineProblem(w: Workload): string | null {
  if (w.kind !== "pipeline") return null;
  if (w.keys === "none") return `field "keys": a pipeline aggregates per key: use round-robin or random`;
  if (w.topics !== 1) return `field "topics": a pipeline has one input topic (got ${w.topics})`;
  if (w.groups !== 1)
    return `field "groups": a pipeline has one processor group and its verifier (got ${w.groups})`;
  if (w.messageSize < PIPELINE_MIN_MESSAGE_BYTES)
    return `field "messageSize": a pipeline's messages carry values: at least ${PIPELINE_MIN_MESSAGE_BYTES} bytes (got ${w.messageSize})`;
  const unused: [string, boolean][] = [
    ["filters", w.filters !== 0],
    ["predicates", w.predicates !== null],
    ["lateGroup", w.lateGroup !== null],
    ["reactors", w.reactors !== null],
    ["backlogBytes", w.backlogBytes !== null],
  ];
  const set = unused.find(([, on]) => on);
  return set === undefined ? null : `field "${set[0]}": not used by a pipeline workload (kind: pipeline)`;
}

/**
 * The warmup leaves nothing to measure: named as the user wrote it (an OMB file's minutes, the
 * command line's flags), with what to change.
 */
function warmupProblem(
  w: Workload,
  name: FieldNamer,
  format: WorkloadRun["format"],
  overrides: Readonly<Record<string, unknown>>,
  raw: Readonly<Record<string, unknown>>,
): string {
  const fromFile = (field: "durationS" | "warmupS") => !(field in overrides);
  if (format === "omb") {
    const warmup = !fromFile("warmupS")
      ? `--warmup ${w.warmupS}`
      : "warmupDurationMinutes" in raw
        ? `warmupDurationMinutes ${raw["warmupDurationMinutes"]} (${w.warmupS} s)`
        : `OMB's default warmup of 1 min (the file sets no warmupDurationMinutes)`;
    const duration = fromFile("durationS")
      ? `testDurationMinutes + warmup (${w.durationS} s)`
      : `--duration ${w.durationS} (warmup included)`;
    const fix = fromFile("warmupS")
      ? "shorten the warmup with --warmup S"
      : "give a longer --duration or a shorter --warmup";
    return `${warmup} leaves nothing of ${duration} to measure; ${fix}`;
  }
  if (!fromFile("warmupS") || !fromFile("durationS")) {
    return `${name("warmupS")} ${w.warmupS} s leaves nothing of ${name("durationS")} ${w.durationS} s to measure (warmup is included in the duration)`;
  }
  return `field "warmupS": ${w.warmupS} s leaves nothing of durationS ${w.durationS} s to measure`;
}

/** Reads and parses one workload file. */
export async function loadWorkloadFile(
  file: string,
  overrides: Readonly<Record<string, unknown>> = {},
  options: LoadOptions = {},
): Promise<WorkloadRun[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT" ? `${file}: no such workload file` : `${file}: cannot read (${code ?? String(err)})`,
    );
  }
  return parseWorkloadText(text, file, overrides, options);
}
