/**
 * `brokerbench history <file>`: converts a history between its two encodings (docs/HISTORY.md,
 * "Compact encoding"). A compact history is printed as JSON lines (to stdout or --out); a JSON
 * lines history is encoded compactly into --out. Nothing is lost either way.
 */

import { once } from "node:events";
import { createWriteStream, existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { EXIT, UsageError } from "../../../core/errors.js";
import { CompactFormatError } from "../../../core/history/compact.js";
import { compactToJsonLines, isCompactFile } from "../../../core/history/compact-file.js";
import { jsonLinesFileToCompact } from "../../../core/history/from-json-lines.js";
import { defineCommand } from "./command.js";

interface HistoryArgs {
  readonly file: string;
  readonly out?: string;
}

const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export const historyCommand = defineCommand<HistoryArgs>({
  command: "history <file>",
  describe: "Print a compact history (history.bbh) as JSON lines, or encode a JSON lines history compactly",
  builder: (y) =>
    y
      .positional("file", { type: "string", demandOption: true, describe: "history file (.bbh or .jsonl)" })
      .option("out", {
        alias: "o",
        type: "string",
        describe:
          "output file (compact input: default stdout; JSON lines input: required, the .bbh to write)",
      })
      .example("$0 history results/x/history.bbh | head", "the first lines of a run's history, as JSON")
      .example("$0 history old.jsonl -o old.bbh", "encode a JSON lines history compactly") as never,
  async run(args) {
    if (!existsSync(args.file)) throw new UsageError(`${args.file}: no such history file`);
    if (statSync(args.file).isDirectory())
      throw new UsageError(`${args.file}: is a directory, not a history file`);
    if (args.out !== undefined) {
      if (resolve(args.out) === resolve(args.file))
        throw new UsageError(`--out ${args.out}: is the input file`);
      if (existsSync(args.out) && statSync(args.out).isDirectory())
        throw new UsageError(`--out ${args.out}: is a directory; name the file to write`);
    }
    try {
      if (isCompactFile(args.file)) return await toJsonLines(args.file, args.out);
      if (args.out === undefined)
        throw new UsageError(`${args.file} is JSON lines already; name the compact file to write with --out`);
      const r = jsonLinesFileToCompact(args.file, args.out);
      if (r.truncated !== null) console.error(`brokerbench: ${args.file}: ${r.truncated}`);
      console.error(
        `${args.out}: ${r.lines} lines (${r.textLines} kept whole), ${MiB(r.bytes)} from ` +
          `${MiB(statSync(args.file).size)}`,
      );
      return EXIT.ok;
    } catch (err) {
      if (err instanceof CompactFormatError) throw new UsageError(err.message);
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== undefined && code !== "EPIPE")
        throw new UsageError(`cannot convert: ${(err as Error).message}`);
      if (code === "EPIPE") return EXIT.ok; // the reader went away (| head)
      throw err;
    }
  },
});

async function toJsonLines(file: string, out: string | undefined): Promise<typeof EXIT.ok> {
  const stream = out === undefined ? process.stdout : createWriteStream(out);
  let broken: Error | null = null;
  stream.on("error", (err) => {
    broken = err;
  });
  const r = await compactToJsonLines(file, async (chunk) => {
    if (broken) throw broken;
    if (!stream.write(chunk)) await once(stream, "drain");
  });
  if (out !== undefined) {
    (stream as ReturnType<typeof createWriteStream>).end();
    await once(stream, "finish");
  }
  if (broken) throw broken;
  if (r.truncated !== null) console.error(`brokerbench: ${file}: ${r.truncated}; skipped`);
  if (out !== undefined) console.error(`${out}: ${r.lines} lines`);
  return EXIT.ok;
}
