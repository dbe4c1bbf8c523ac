/**
 * Loading results for a report: a path is a results.json file, a run directory holding one, or an
 * output directory whose subdirectories are runs (`<outDir>/<runId>/results.json`). Each file is
 * checked against results.json's schema (core/results.ts), so a broken file names itself and the
 * field.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { z } from "zod";
import { UsageError } from "../core/errors.js";
import { FIND_MAX_FILE, type FindMaxRecord, findMaxRecordSchema } from "../core/find-max.js";
import { RESULTS_FORMAT, type RunResult, runResultSchema } from "../core/results.js";

/**
 * results.json's schema with one tolerance: any status string. A report shows a status this build
 * does not know yet (a newer runner's `interrupted`, say) as written, with its reason, rather than
 * refusing the file; everything else is checked as the runner writes it.
 */
const reportedResultSchema = runResultSchema
  .unwrap()
  .extend({ status: z.string().min(1) })
  .readonly();

export const RESULTS_FILE = "results.json";

export interface LoadedRun {
  readonly result: RunResult;
  /** Absolute path of the results.json it came from. */
  readonly file: string;
}

/** The runs of one input path: one side of a comparison. */
export interface ResultSet {
  /** Short name shown in charts and tables (the directory's name unless told otherwise). */
  readonly label: string;
  readonly source: string;
  readonly runs: readonly LoadedRun[];
  /** The `rate: find-max` searches of a results directory (its find-max.json), if it has any. */
  readonly searches?: readonly FindMaxRecord[];
}

/** JSON.parse, its error one line naming `file`. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message})`);
  }
}

/** The first problem zod found in `file`, one line: `file: not a brokerbench <what>: field \`x\`: …`. */
function notA(what: string, file: string, error: z.ZodError): UsageError {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? `field \`${issue.path.join(".")}\`: ` : "";
  return new UsageError(`${file}: not a brokerbench ${what}: ${where}${issue?.message ?? "invalid"}`);
}

/** Parses one results.json text; `file` names it in errors. */
export function parseRunResult(text: string, file: string): RunResult {
  const json = parseJson(text, file);
  if (typeof json === "object" && json !== null && "format" in json && json.format !== RESULTS_FORMAT) {
    throw new UsageError(
      `${file}: results format ${String(json.format)}, this brokerbench reads format ${RESULTS_FORMAT}; ` +
        "use the brokerbench version that wrote it",
    );
  }
  const parsed = reportedResultSchema.safeParse(json);
  if (!parsed.success) throw notA(RESULTS_FILE, file, parsed.error);
  // The status may be one this build's RunStatus does not name; the report reads it as a string.
  return parsed.data as RunResult;
}

async function readRun(file: string): Promise<LoadedRun> {
  const text = await readFile(file, "utf8");
  return { result: parseRunResult(text, file), file };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The results.json files a path stands for, in a stable order. */
export async function findResultFiles(path: string): Promise<string[]> {
  const abs = resolve(path);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(abs);
  } catch {
    throw new UsageError(
      `${path}: no such file or directory (give results.json files or results directories)`,
    );
  }
  if (info.isFile()) return [abs];
  const own = join(abs, RESULTS_FILE);
  if (await isFile(own)) return [own];
  const entries = await readdir(abs, { withFileTypes: true });
  const files: string[] = [];
  for (const e of entries.filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const candidate = join(abs, e.name, RESULTS_FILE);
    if (await isFile(candidate)) files.push(candidate);
  }
  if (files.length === 0) {
    throw new UsageError(
      `${path}: no ${RESULTS_FILE} in it nor in its subdirectories (is it a results directory?)`,
    );
  }
  return files;
}

/** Loads every run a path stands for; runs sorted by start time, then id (the order they ran in). */
export async function loadResultSet(path: string, label?: string): Promise<ResultSet> {
  const files = await findResultFiles(path);
  const runs = await Promise.all(files.map(readRun));
  runs.sort(
    (a, b) =>
      a.result.startedAt.localeCompare(b.result.startedAt) || a.result.runId.localeCompare(b.result.runId),
  );
  const seen = new Map<string, string>();
  for (const r of runs) {
    const other = seen.get(r.result.runId);
    if (other !== undefined) {
      throw new UsageError(
        `${path}: run id "${r.result.runId}" appears twice (${other} and ${r.file}); give them as separate inputs`,
      );
    }
    seen.set(r.result.runId, r.file);
  }
  const searches = await readSearches(path);
  return {
    label: label ?? defaultLabel(path),
    source: resolve(path),
    runs,
    ...(searches ? { searches } : {}),
  };
}

/** A results directory's find-max.json, or null when it has none. */
async function readSearches(path: string): Promise<FindMaxRecord[] | null> {
  const file = join(resolve(path), FIND_MAX_FILE);
  if (!(await isFile(file))) return null;
  const parsed = z.array(findMaxRecordSchema).safeParse(parseJson(await readFile(file, "utf8"), file));
  if (!parsed.success) throw notA(FIND_MAX_FILE, file, parsed.error);
  return parsed.data;
}

function defaultLabel(path: string): string {
  const abs = resolve(path);
  // A results.json names its run directory; a directory names itself.
  return basename(abs) === RESULTS_FILE ? basename(dirname(abs)) : basename(abs);
}

/** Loads several inputs as separate sets; labels made unique (`new`, `new#2`) when names collide. */
export async function loadResultSets(paths: readonly string[]): Promise<ResultSet[]> {
  const sets = await Promise.all(paths.map((p) => loadResultSet(p)));
  const used = new Map<string, number>();
  return sets.map((s) => {
    const n = (used.get(s.label) ?? 0) + 1;
    used.set(s.label, n);
    return n === 1 ? s : { ...s, label: `${s.label}#${n}` };
  });
}

/** Several inputs as one set (for `--merge`): the same run id twice is an error. */
export async function loadMergedSet(paths: readonly string[], label: string): Promise<ResultSet> {
  const sets = await Promise.all(paths.map((p) => loadResultSet(p)));
  const runs = sets.flatMap((s) => s.runs);
  const seen = new Map<string, string>();
  for (const r of runs) {
    const other = seen.get(r.result.runId);
    if (other !== undefined) {
      throw new UsageError(`run id "${r.result.runId}" appears in both ${other} and ${r.file}`);
    }
    seen.set(r.result.runId, r.file);
  }
  return { label, source: sets.map((s) => s.source).join(", "), runs };
}
