/** A worker thread running the byte scanner (or the compact decoder) over the pieces the reader sends it, in order. */
import { parentPort } from "node:worker_threads";
import { scanBlock } from "./compact-scan.js";
import type { ScanRequest } from "./read-fast.js";
import { Scanner, type ScanResult } from "./scan.js";

const scanner = new Scanner();
parentPort?.on("message", (m: ScanRequest) => {
  const bytes = new Uint8Array(m.buffer, 0, m.length);
  let r: ScanResult;
  try {
    r =
      m.block === undefined
        ? scanner.scan(bytes, m.unterminated)
        : scanBlock(bytes, m.block.name, m.block.header);
  } catch (err) {
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
    return;
  }
  parentPort?.postMessage(r, [
    r.ops.buffer,
    r.items.buffer,
    r.offsets.buffer,
    r.lineStarts.buffer,
  ] as ArrayBuffer[]);
});
