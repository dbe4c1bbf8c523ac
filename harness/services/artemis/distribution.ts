/**
 * The Apache Artemis binary distribution from Maven Central
 * (`org.apache.activemq:apache-artemis:<version>:tar.gz:bin`), fetched once with
 * maven-dependency-plugin's `copy` goal (no pom needed; `mvn` reads the local repository first) and
 * unpacked into `$BROKERBENCH_HOME/cache/artemis/apache-artemis-<version>`. As with the jar cache,
 * the work happens in a temporary directory renamed into place when complete, so an interrupted or
 * concurrent fetch never leaves a half-unpacked distribution.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ServiceStartError } from "../definition.js";
import { mavenFailure, runMaven } from "../maven.js";

/** The newest release under the `org.apache.activemq` group (from 2.50 the group is `org.apache.artemis`). */
export const ARTEMIS_VERSION = "2.40.0";
const COPY = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy";
const COMPLETE = "complete";

export function artemisCoordinates(version = ARTEMIS_VERSION): string {
  return `org.apache.activemq:apache-artemis:${version}:tar.gz:bin`;
}

function entryOf(cacheDir: string, version: string): string {
  return join(cacheDir, "artemis", `apache-artemis-${version}`);
}

/** The distribution's home (bin/artemis, lib/) if it was fetched before, else null. */
export function cachedArtemisHome(cacheDir: string, version = ARTEMIS_VERSION): string | null {
  const entry = entryOf(cacheDir, version);
  return existsSync(join(entry, COMPLETE)) ? join(entry, "home") : null;
}

/** Runs a program to the end; its output only matters when it fails. */
export function runTool(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-16_384);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

export interface ArtemisHomeOptions {
  readonly cacheDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly progress: (line: string) => void;
  readonly version?: string;
}

/** The distribution's home directory, fetching and unpacking it first if it is not cached. */
export async function artemisHome(options: ArtemisHomeOptions): Promise<string> {
  const version = options.version ?? ARTEMIS_VERSION;
  const cached = cachedArtemisHome(options.cacheDir, version);
  if (cached !== null) return cached;
  const entry = entryOf(options.cacheDir, version);
  const tmp = `${entry}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const coordinates = artemisCoordinates(version);
    options.progress(`fetching ${coordinates} from Maven Central (first start only) into ${entry}`);
    const download = join(tmp, "download");
    const fetched = await runMaven(
      ["-q", "-B", COPY, `-Dartifact=${coordinates}`, `-DoutputDirectory=${download}`],
      options.env,
    ).catch((err: Error) => {
      throw new ServiceStartError(`cannot run mvn: ${err.message}`);
    });
    if (fetched.code !== 0) {
      throw new ServiceStartError(`mvn could not fetch ${coordinates}: ${mavenFailure(fetched.output)}`);
    }
    const tarball = readdirSync(download).find((f) => f.endsWith(".tar.gz"));
    if (tarball === undefined) throw new ServiceStartError(`mvn fetched no tarball for ${coordinates}`);
    const unpacked = join(tmp, "unpacked");
    mkdirSync(unpacked);
    const untar = await runTool("tar", ["-xzf", join(download, tarball), "-C", unpacked], options.env);
    if (untar.code !== 0) {
      throw new ServiceStartError(`cannot unpack ${tarball}: ${untar.output.trim().split("\n").pop() ?? ""}`);
    }
    const [top] = readdirSync(unpacked);
    if (top === undefined || !existsSync(join(unpacked, top, "bin", "artemis"))) {
      throw new ServiceStartError(`${tarball} holds no bin/artemis`);
    }
    renameSync(join(unpacked, top), join(tmp, "home"));
    rmSync(download, { recursive: true, force: true });
    rmSync(unpacked, { recursive: true, force: true });
    mkdirSync(join(tmp, COMPLETE));
    try {
      renameSync(tmp, entry);
    } catch (err) {
      // Another invocation finished first: use its copy.
      if (cachedArtemisHome(options.cacheDir, version) === null) throw err;
    }
    return join(entry, "home");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
