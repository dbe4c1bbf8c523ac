/**
 * What `brokerbench list` shows of each built-in workload — its description and how many runs its
 * matrix makes — kept in workloads/index.json so that listing parses no YAML: loading the yaml
 * module took ~45 ms and parsing the 18 files ~60 ms, a quarter of `list`'s 0.40 s.
 *
 * The index is a cache, never the truth: each entry carries its file's SHA-1, and a file whose
 * content differs (edited, added) is described afresh from the file itself. A test holds the
 * committed index equal to the files; `npm run workloads:index` rewrites it.
 */
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expandMatrix } from "./matrix.js";
import { builtinWorkloadDir, builtinWorkloads, resolveWorkloadArg } from "./resolve.js";

export interface WorkloadSummary {
  readonly runs: number;
  readonly description: string;
}

export interface IndexEntry extends WorkloadSummary {
  readonly sha1: string;
}

export const INDEX_FILE = "index.json";

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/**
 * A workload file as `list` shows it. Read, not validated (`run` validates, and the workload tests
 * hold every built-in valid), so that listing does not load the workload schema.
 */
export async function describeWorkloadText(text: string): Promise<WorkloadSummary> {
  const { parse } = await import("yaml");
  const raw: unknown = parse(text);
  const fields = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  let description = typeof fields["description"] === "string" ? fields["description"] : "";
  // An OpenMessaging Benchmark file has no description; the loader (workload/omb.ts) names it so.
  if (description === "" && "partitionsPerTopic" in fields && typeof fields["name"] === "string") {
    description = `OpenMessaging Benchmark workload "${fields["name"]}"`;
  }
  return { runs: expandMatrix(fields["matrix"], () => true).length, description };
}

async function readIndex(): Promise<Record<string, IndexEntry>> {
  try {
    return JSON.parse(await readFile(join(builtinWorkloadDir(), INDEX_FILE), "utf8"));
  } catch {
    return {}; // no index (or a broken one): every workload is described from its file
  }
}

/** Every built-in workload by name, from the index (workloads/index.json) where its file is unchanged. */
export async function builtinSummaries(
  index?: Readonly<Record<string, IndexEntry>>,
): Promise<Map<string, WorkloadSummary>> {
  index ??= await readIndex();
  const out = new Map<string, WorkloadSummary>();
  for (const name of builtinWorkloads()) {
    const text = await readFile(resolveWorkloadArg(name), "utf8");
    const cached = index[name];
    out.set(
      name,
      cached !== undefined && cached.sha1 === sha1(text)
        ? { runs: cached.runs, description: cached.description }
        : await describeWorkloadText(text),
    );
  }
  return out;
}

/** The index as the files are now (what `npm run workloads:index` writes). */
export async function freshIndex(): Promise<Record<string, IndexEntry>> {
  const index: Record<string, IndexEntry> = {};
  for (const name of builtinWorkloads()) {
    const text = await readFile(resolveWorkloadArg(name), "utf8");
    index[name] = { ...(await describeWorkloadText(text)), sha1: sha1(text) };
  }
  return index;
}

export async function writeBuiltinIndex(): Promise<void> {
  await writeFile(join(builtinWorkloadDir(), INDEX_FILE), `${JSON.stringify(await freshIndex(), null, 2)}\n`);
}
