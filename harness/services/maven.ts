/**
 * Jars from Maven Central for Java services: each service keeps a small pom in the repository
 * (`harness/services/<name>/pom.xml`), resolved once with maven-dependency-plugin's
 * copy-dependencies into `$BROKERBENCH_HOME/cache/maven/<name>-<hash of the pom>/libs`. The hash
 * makes a version bump in the pom resolve again; the old set stays until removed by hand.
 * Resolution writes into a temporary directory renamed into place when complete, so an interrupted
 * or concurrent resolve never leaves a half-filled cache. `mvn` reads MAVEN_OPTS from the
 * environment (`-Dmaven.repo.local=…` for another local repository).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ServiceStartError } from "./definition.js";
import { packageFile } from "./package-files.js";

/** The dependency plugin, pinned (the default version of an old Maven may lack options). */
export const COPY_DEPENDENCIES = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies";

const COMPLETE = "complete";

/** The pom of a service, beside its definition: `<package>/harness/services/<service>/pom.xml`. */
export function servicePom(service: string): string {
  return packageFile("harness", "services", service, "pom.xml");
}

/** `<cacheDir>/maven/<name>-<first 12 hex of the pom's sha-256>`. */
export function mavenCacheEntry(pom: string, cacheDir: string, name: string): string {
  const hash = createHash("sha256").update(readFileSync(pom)).digest("hex").slice(0, 12);
  return join(cacheDir, "maven", `${name}-${hash}`);
}

/** The libs directory if this pom was resolved before, else null. */
export function cachedMavenLibs(pom: string, cacheDir: string, name: string): string | null {
  const entry = mavenCacheEntry(pom, cacheDir, name);
  return existsSync(join(entry, COMPLETE)) ? join(entry, "libs") : null;
}

/** Java's classpath for every jar of a libs directory. */
export function classpathOf(libs: string): string {
  return join(libs, "*");
}

export function runMaven(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("mvn", [...args], { env, stdio: ["ignore", "pipe", "pipe"] });
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

/** Maven's reason in one line: its first [ERROR] line with text (colour codes and help pointer dropped), else its last line. */
export function mavenFailure(output: string): string {
  const lines = output
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .map((l) => l.replace(/ -> \[Help \d+\]$/, "").trim());
  const line = lines.find((l) => /^\[ERROR\] \S/.test(l)) ?? lines.filter((l) => l !== "").pop() ?? "";
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

export interface MavenResolveOptions {
  readonly pom: string;
  readonly cacheDir: string;
  /** Cache entry name, usually the service's. */
  readonly name: string;
  readonly env: NodeJS.ProcessEnv;
  readonly progress: (line: string) => void;
}

/** The libs directory holding every runtime artifact of the pom, resolving it first if not cached. */
export async function resolveMavenLibs(options: MavenResolveOptions): Promise<string> {
  const cached = cachedMavenLibs(options.pom, options.cacheDir, options.name);
  if (cached !== null) return cached;
  const entry = mavenCacheEntry(options.pom, options.cacheDir, options.name);
  const tmp = `${entry}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  try {
    // mvn runs on a copy, so nothing is written beside the pom in the (maybe read-only) package.
    const pom = join(tmp, "pom.xml");
    copyFileSync(options.pom, pom);
    options.progress(`resolving ${options.name}'s jars from Maven Central (first start only) into ${entry}`);
    const libs = join(tmp, "libs");
    const { code, output } = await runMaven(
      [
        "-q",
        "-B",
        "-Dstyle.color=never",
        "-f",
        pom,
        COPY_DEPENDENCIES,
        "-DincludeScope=runtime",
        `-DoutputDirectory=${libs}`,
      ],
      options.env,
    ).catch((err: Error) => {
      throw new ServiceStartError(`cannot run mvn: ${err.message}`);
    });
    if (code !== 0) {
      throw new ServiceStartError(`mvn could not resolve ${options.pom}: ${mavenFailure(output)}`);
    }
    // Usually jars; a distribution pom (Artemis's bin tar.gz) yields its archive.
    if (!existsSync(libs) || readdirSync(libs).length === 0) {
      throw new ServiceStartError(`mvn resolved no artifact from ${options.pom}`);
    }
    rmSync(pom);
    // The marker goes in before the rename, so the entry is complete from the moment it exists.
    mkdirSync(join(tmp, COMPLETE));
    try {
      renameSync(tmp, entry);
    } catch (err) {
      // Another invocation finished first: use its copy.
      if (cachedMavenLibs(options.pom, options.cacheDir, options.name) === null) throw err;
    }
    return join(entry, "libs");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
