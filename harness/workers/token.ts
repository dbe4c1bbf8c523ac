/**
 * The shared token a coordinator and its workers present: `--token-file FILE` (its content, trimmed)
 * or the environment's BROKERBENCH_TOKEN; null when neither gives one.
 */
import { readFileSync } from "node:fs";
import { UsageError } from "../../core/errors.js";

export const TOKEN_ENV = "BROKERBENCH_TOKEN";

export function readToken(
  tokenFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(tokenFile, "utf8").trim();
    } catch (err) {
      throw new UsageError(
        `--token-file ${tokenFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`,
      );
    }
    if (text === "") throw new UsageError(`--token-file ${tokenFile}: is empty`);
    return text;
  }
  const fromEnv = env[TOKEN_ENV]?.trim();
  return fromEnv === undefined || fromEnv === "" ? null : fromEnv;
}
