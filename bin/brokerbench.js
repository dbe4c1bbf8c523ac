#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build`, which `npm ci` / `npm install` run through `prepare`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/harness/cli/cli.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error("brokerbench: dist/ is missing; run `npm run build` (npm ci and npm install do it for you).");
  process.exit(2);
}
const { main } = await import(entry.href);
const { internalErrorLine } = await import(new URL("../dist/core/errors.js", import.meta.url).href);
// An error thrown outside any command's promise (a client library's stray event) is reported in
// one line too, never as a stack trace (BROKERBENCH_DEBUG=1 shows it).
for (const event of ["uncaughtException", "unhandledRejection"]) {
  process.on(event, (err) => {
    console.error(internalErrorLine(err));
    process.exit(1);
  });
}
process.exitCode = await main(process.argv.slice(2));
// The command is over but the process may take a moment to close its handles: a Ctrl-C now still
// quits at once with the interrupted exit code, not by the signal's default action.
process.on("SIGINT", () => {
  console.error("brokerbench: quitting at once");
  process.exit(130);
});
// Done: a client library that leaves a socket open (nats.js after a connect timeout) must not keep
// an unattended command alive; everything else has closed by now, so this only fires in that case.
setTimeout(() => process.exit(), 2000).unref();
