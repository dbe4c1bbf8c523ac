/**
 * One measurement in a fresh process, so that its peak RSS is its own:
 * `node checkers-child.js check|json-parse <history.jsonl>` prints one JSON line.
 */
import { checkHistoryFile } from "../checkers/index.js";
import { forEachLine } from "../checkers/read-file.js";

const [mode, path] = process.argv.slice(2);
if (path === undefined) throw new Error("usage: checkers-child check|json-parse <history.jsonl>");
const started = performance.now();
let detail: Record<string, unknown> = {};
if (mode === "json-parse") {
  let lines = 0;
  forEachLine(path, (text) => {
    JSON.parse(text);
    lines++;
  });
  detail = { lines };
} else {
  const v = await checkHistoryFile(path, { witnesses: 3 });
  const found = Object.entries(v.counts).filter(([, n]) => n > 0);
  detail = {
    valid: v.valid,
    lines: v.lines,
    acknowledged: v.messages.acknowledged,
    anomalies: Object.fromEntries(found),
  };
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(); // all threads of the process
const cpuS = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify({ seconds, cpuS, maxRssMiB: process.resourceUsage().maxRSS / 1024, ...detail }));
