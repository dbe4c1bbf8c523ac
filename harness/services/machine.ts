/** What a definition's `missing()` asks of the machine: programs on PATH. */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The program's full path if it is an executable file on `env.PATH`, else null. */
export function findOnPath(program: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, program);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/** "java is not on PATH" / "java and mvn are not on PATH" / null when all are there. */
export function missingPrograms(programs: readonly string[], env: NodeJS.ProcessEnv): string | null {
  const absent = programs.filter((p) => findOnPath(p, env) === null);
  if (absent.length === 0) return null;
  const names =
    absent.length === 1 ? absent[0]! : `${absent.slice(0, -1).join(", ")} and ${absent[absent.length - 1]}`;
  return `${names} ${absent.length === 1 ? "is" : "are"} not on PATH`;
}
