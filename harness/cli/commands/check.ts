/**
 * `brokerbench check <history>`: judges a recorded history (format: docs/HISTORY.md, JSON lines or
 * the compact encoding) against a delivery and order expectation. Exit 0 valid, 1 invalid, 2
 * unreadable input or nothing to judge (an empty history is not a valid one). A pipeline's history
 * is judged as a computation too (checkers/computation.ts): valid only when both verdicts are.
 */
import { existsSync, statSync } from "node:fs";
import { checkComputation, formatComputation, pipelineOf } from "../../../checkers/computation.js";
import {
  checkHistoryFile,
  DEFAULT_WITNESSES,
  DELIVERY_EXPECTATIONS,
  type DeliveryExpectation,
  formatVerdict,
  HistoryParseError,
  NotAHistoryError,
  nothingJudged,
} from "../../../checkers/index.js";
import { EXIT, UsageError } from "../../../core/errors.js";
import { CompactFormatError } from "../../../core/history/compact.js";
import { readFirstLine, readHistoryText } from "../../../core/history/compact-file.js";
import { ORDER_SCOPES, type OrderScope } from "../../../core/vocabulary.js";
import { defineCommand } from "./command.js";

interface CheckArgs {
  readonly history: string;
  readonly delivery?: DeliveryExpectation;
  readonly order?: OrderScope;
  readonly json: boolean;
  readonly witnesses: number;
}

export const checkCommand = defineCommand<CheckArgs>({
  command: "check <history>",
  describe: "Check a recorded history (history.bbh or JSON lines) for delivery and ordering anomalies",
  builder: (y) =>
    y
      .positional("history", {
        type: "string",
        demandOption: true,
        describe: "history file (.bbh, the compact encoding, or .jsonl)",
      })
      .option("delivery", {
        choices: DELIVERY_EXPECTATIONS,
        describe: "delivery guarantee to judge against (default: the history's meta line)",
      })
      .option("order", {
        choices: ORDER_SCOPES,
        describe: "order guarantee to judge against (default: the history's meta line)",
      })
      .option("json", { type: "boolean", default: false, describe: "print the verdict as JSON" })
      .option("witnesses", {
        type: "number",
        default: DEFAULT_WITNESSES,
        describe: "witnesses shown per anomaly and group",
      }) as never,
  async run(args) {
    if (!existsSync(args.history)) throw new UsageError(`${args.history}: no such history file`);
    if (statSync(args.history).isDirectory())
      throw new UsageError(`${args.history}: is a directory; name its history file (history.bbh)`);
    if (!Number.isInteger(args.witnesses) || args.witnesses < 0)
      throw new UsageError(`--witnesses must be a non-negative integer (got ${args.witnesses})`);
    let verdict: Awaited<ReturnType<typeof checkHistoryFile>>;
    try {
      verdict = await checkHistoryFile(args.history, {
        expect: {
          ...(args.delivery ? { delivery: args.delivery } : {}),
          ...(args.order ? { order: args.order } : {}),
        },
        witnesses: args.witnesses,
      });
    } catch (err) {
      if (
        err instanceof HistoryParseError ||
        err instanceof NotAHistoryError ||
        err instanceof CompactFormatError
      )
        throw new UsageError(err.message);
      if ((err as NodeJS.ErrnoException).code !== undefined)
        throw new UsageError(`${args.history}: cannot read (${(err as Error).message})`);
      throw err;
    }
    const nothing = nothingJudged(verdict);
    if (nothing !== null)
      throw new UsageError(
        `${args.history}: nothing to judge: ${nothing}; a verdict needs sends or deliveries`,
      );
    // A pipeline's history (meta `pipeline`) is also judged as a computation: small, read whole.
    const computation =
      pipelineOf([readFirstLine(args.history)]) === null
        ? null
        : checkComputation(readHistoryText(args.history).split("\n"));
    if (args.json)
      console.log(JSON.stringify(computation === null ? verdict : { ...verdict, computation }, null, 2));
    else {
      console.log(formatVerdict(verdict, args.history));
      if (computation !== null) console.log(formatComputation(computation));
    }
    return verdict.valid && (computation?.valid ?? true) ? EXIT.ok : EXIT.invalid;
  },
});
