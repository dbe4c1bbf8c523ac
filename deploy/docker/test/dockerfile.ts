/**
 * The repository's Dockerfile, judged offline (no Docker engine runs here, so the image is never
 * built): parsed with dockerfile-ast, then held to what the image promises — a build stage and a
 * runtime stage on the Node.js major of package.json's engines, a non-root user, brokerbench as
 * the exec-form entrypoint, and every file the image needs inside the build context.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DockerfileParser, type JSONInstruction } from "dockerfile-ast";

/** What the built image runs and reads at run time, by path in the repository. */
export const RUNTIME_PATHS = [
  "package.json",
  "package-lock.json",
  "bin/brokerbench.js",
  "harness",
  "workloads",
];

/** Whether `.dockerignore` keeps `path` (relative to the context) out of the build context. */
export function ignored(path: string, dockerignore: string): boolean {
  return dockerignore
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .some((pattern) => {
      const glob = new RegExp(
        `^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}(/|$)`,
      );
      return glob.test(path);
    });
}

export function dockerfileProblems(
  text: string,
  dockerignore: string,
  repo: string,
  engines: string,
): string[] {
  const problems: string[] = [];
  const file = DockerfileParser.parse(text);
  const froms = file.getFROMs();
  const major = /(\d+)/.exec(engines)?.[1];
  if (froms.length < 2)
    problems.push(`Dockerfile: ${froms.length} stage(s); expected a build stage and a runtime stage`);
  for (const from of froms)
    if (from.getImageName() !== "node" || !from.getImageTag()?.startsWith(`${major}-`))
      problems.push(
        `Dockerfile: FROM ${from.getImage()} is not node:${major}-… (package.json engines: node ${engines})`,
      );
  // The runtime stage: instructions after the last FROM.
  const lastFrom = froms[froms.length - 1];
  const runtime = file
    .getInstructions()
    .filter((i) => lastFrom === undefined || i.getRange().start.line > lastFrom.getRange().start.line);
  const users = runtime
    .filter((i) => i.getKeyword() === "USER")
    .map((i) => i.getArguments()[0]?.getValue() ?? "");
  const user = users[users.length - 1];
  if (user === undefined || user === "root" || user === "0" || user.startsWith("0:"))
    problems.push(
      `Dockerfile: the runtime stage runs as ${user ?? "root (no USER)"}; expected an unprivileged user`,
    );
  const entrypoint = runtime.find((i) => i.getKeyword() === "ENTRYPOINT") as JSONInstruction | undefined;
  const argv =
    entrypoint?.getOpeningBracket() === null
      ? null
      : entrypoint?.getJSONStrings().map((s) => s.getJSONValue());
  if (argv === undefined || argv === null)
    problems.push(
      'Dockerfile: the runtime stage needs ENTRYPOINT in exec form (["node", "…/bin/brokerbench.js"])',
    );
  else if (argv[0] !== "node" || !argv[1]?.endsWith("/bin/brokerbench.js"))
    problems.push(`Dockerfile: ENTRYPOINT ${JSON.stringify(argv)} does not run bin/brokerbench.js with node`);
  // Every COPY from the context names files that exist and that .dockerignore lets through.
  for (const copy of file.getCOPYs()) {
    if (copy.getFromFlag() !== null) continue;
    const sources = copy
      .getArguments()
      .slice(0, -1)
      .map((a) => a.getValue());
    for (const source of sources)
      if (source !== "." && (!existsSync(join(repo, source)) || ignored(source, dockerignore)))
        problems.push(`Dockerfile: COPY ${source}: not in the build context`);
  }
  for (const path of RUNTIME_PATHS)
    if (ignored(path, dockerignore))
      problems.push(`.dockerignore: leaves out ${path}, which the image needs`);
  for (const path of ["node_modules", "dist"])
    if (!ignored(path, dockerignore))
      problems.push(`.dockerignore: lets the host's ${path} into the context (the image builds its own)`);
  return problems;
}
