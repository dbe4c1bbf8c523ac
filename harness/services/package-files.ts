/** Files of the installed brokerbench package (found from this module, in the sources or in dist/). */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | null = null;

/** The package's root directory: the nearest ancestor with package.json and harness/. */
export function packageRoot(): string {
  if (root !== null) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "harness"))) {
      root = dir;
      return dir;
    }
    dir = dirname(dir);
  }
  throw new Error("cannot find the brokerbench package root");
}

/** A file of the package's sources (pom.xml beside a definition), by path from the root. */
export function packageFile(...segments: string[]): string {
  return join(packageRoot(), ...segments);
}
