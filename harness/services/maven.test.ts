/**
 * Resolving a pom with the real `mvn` (a one-jar pom, so it takes seconds), and the cache that makes
 * the second start need no Maven at all.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ServiceStartError } from "./definition.js";
import { missingPrograms } from "./machine.js";
import { cachedMavenLibs, mavenCacheEntry, mavenFailure, resolveMavenLibs } from "./maven.js";

const dir = mkdtempSync(join(tmpdir(), "bb-maven-"));
const cacheDir = join(dir, "cache");
const noMaven = missingPrograms(["mvn"], process.env);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pom(name: string, artifact: string, version: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>bb</groupId><artifactId>t</artifactId><version>1</version><packaging>pom</packaging>
<dependencies><dependency><groupId>org.slf4j</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency></dependencies>
</project>\n`,
  );
  return file;
}

describe("mavenFailure", () => {
  it("keeps Maven's first [ERROR] line", () => {
    const out =
      "\x1b[0m\x1b[0m[INFO] x\n\x1b[0m[ERROR] Failed to execute goal on project t: Could not resolve dependencies -> [Help 1]\n[ERROR] \n[ERROR] more\n";
    expect(mavenFailure(out)).toBe(
      "[ERROR] Failed to execute goal on project t: Could not resolve dependencies",
    );
    expect(mavenFailure("just one line\n")).toBe("just one line");
  });
});

describe.skipIf(noMaven !== null)(
  `resolving with mvn${noMaven !== null ? ` — SKIPPED: ${noMaven}` : ""}`,
  () => {
    it("resolves once into the cache keyed by the pom's content; a changed pom resolves again", async () => {
      const file = pom("a.xml", "slf4j-api", "1.7.36");
      const lines: string[] = [];
      const libs = await resolveMavenLibs({
        pom: file,
        cacheDir,
        name: "t",
        env: process.env,
        progress: (l) => lines.push(l),
      });
      expect(readdirSync(libs)).toEqual(["slf4j-api-1.7.36.jar"]);
      expect(libs).toBe(join(mavenCacheEntry(file, cacheDir, "t"), "libs"));
      expect(lines).toHaveLength(1);
      // No temporary directory or copied pom left behind.
      expect(readdirSync(join(cacheDir, "maven"))).toEqual([libs.split("/").at(-2)]);

      // Cached: found without running Maven (no mvn on this PATH).
      const again = await resolveMavenLibs({
        pom: file,
        cacheDir,
        name: "t",
        env: { PATH: "/nonexistent" },
        progress: (l) => lines.push(l),
      });
      expect(again).toBe(libs);
      expect(lines).toHaveLength(1);

      pom("a.xml", "slf4j-api", "1.7.35");
      expect(cachedMavenLibs(file, cacheDir, "t")).toBeNull();
      const bumped = await resolveMavenLibs({
        pom: file,
        cacheDir,
        name: "t",
        env: process.env,
        progress: () => {},
      });
      expect(bumped).not.toBe(libs);
      expect(readdirSync(bumped)).toEqual(["slf4j-api-1.7.35.jar"]);
    }, 120_000);

    it("an artifact that does not exist: one line with Maven's reason, nothing cached", async () => {
      const file = pom("bad.xml", "brokerbench-no-such-artifact", "0.0.1");
      const err = await resolveMavenLibs({
        pom: file,
        cacheDir,
        name: "bad",
        env: process.env,
        progress: () => {},
      }).catch((e) => e);
      expect(err).toBeInstanceOf(ServiceStartError);
      expect(err.message).toMatch(
        /^mvn could not resolve .*bad\.xml: \[ERROR\] .*brokerbench-no-such-artifact/,
      );
      expect(err.message).not.toContain("\n");
      expect(existsSync(mavenCacheEntry(file, cacheDir, "bad"))).toBe(false);
    }, 120_000);
  },
);
