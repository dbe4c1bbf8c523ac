/**
 * A lean entry that starts only the broker server (`node dist/adapters/reference/server/main.js
 * --port 9092 --data-dir DIR --flush always`): the same flags and behaviour as `brokerbench broker`,
 * without loading the rest of the CLI, so crash tests can restart it many times quickly.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { FLUSH_POLICIES, type FlushPolicy } from "../storage/file-log.js";
import { serveUntilSignal } from "./run.js";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9092" },
    "data-dir": { type: "string", default: "brokerbench-data" },
    flush: { type: "string", default: "interval" },
  },
  strict: true,
});
const flush = values.flush as FlushPolicy;
if (!FLUSH_POLICIES.includes(flush)) {
  console.error(`--flush ${values.flush}: use one of ${FLUSH_POLICIES.join(", ")}`);
  process.exit(2);
}
await serveUntilSignal({
  host: values.host,
  port: Number(values.port),
  dataDir: path.resolve(values["data-dir"]),
  flush,
  log: (line) => console.error(`brokerbench broker: ${line}`),
});
