/**
 * The repository's Dockerfile, checked without Docker (none runs here; the image has never been
 * built by this project's CI): its structure, and broken copies shown to be rejected.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dockerfileProblems, ignored } from "./test/dockerfile.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "../..");
const DOCKERFILE = readFileSync(join(REPO, "Dockerfile"), "utf8");
const DOCKERIGNORE = readFileSync(join(REPO, ".dockerignore"), "utf8");
const ENGINES = (
  JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { engines: { node: string } }
).engines.node;
const problems = (dockerfile: string, dockerignore = DOCKERIGNORE) =>
  dockerfileProblems(dockerfile, dockerignore, REPO, ENGINES);

describe("Dockerfile", () => {
  it("builds in two stages on the engines' Node.js, runs brokerbench as an unprivileged user", () => {
    expect(problems(DOCKERFILE)).toEqual([]);
  });

  it.each([
    ["USER removed", (t: string) => t.replace(/^USER .*$/m, ""), /runs as root \(no USER\)/],
    ["USER root", (t: string) => t.replace(/^USER .*$/m, "USER root"), /runs as root;/],
    [
      "a shell-form ENTRYPOINT",
      (t: string) => t.replace(/^ENTRYPOINT .*$/m, "ENTRYPOINT node /app/bin/brokerbench.js"),
      /exec form/,
    ],
    [
      "another Node.js major",
      (t: string) => t.replaceAll("node:20-", "node:18-"),
      /FROM node:18-bookworm-slim is not node:20-/,
    ],
    ["one stage", (t: string) => t.slice(t.lastIndexOf("FROM ")), /1 stage\(s\)/],
    [
      "a COPY of a missing file",
      (t: string) => t.replace("COPY package.json", "COPY package.jsn"),
      /COPY package.jsn: not in the build context/,
    ],
  ])("rejects %s", (_, edit, expected) => {
    expect(problems(edit(DOCKERFILE)).join("\n")).toMatch(expected);
  });

  it("rejects a .dockerignore that leaves out what the image needs or lets node_modules in", () => {
    expect(problems(DOCKERFILE, `${DOCKERIGNORE}\nworkloads\n`).join("\n")).toMatch(/leaves out workloads/);
    expect(problems(DOCKERFILE, DOCKERIGNORE.replace(/^node_modules$/m, "")).join("\n")).toMatch(
      /lets the host's node_modules/,
    );
  });

  it("reads .dockerignore patterns as Docker does at the context's root", () => {
    expect(ignored("node_modules", "node_modules")).toBe(true);
    expect(ignored("node_modules/x/y.js", "node_modules")).toBe(true);
    expect(ignored("harness/node_modules", "node_modules")).toBe(false);
    expect(ignored("run.log", "*.log")).toBe(true);
    expect(ignored("a/run.log", "*.log")).toBe(false);
    expect(ignored("distance", "dist")).toBe(false);
  });
});
