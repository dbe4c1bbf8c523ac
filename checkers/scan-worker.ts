/** A worker thread running the byte scanner over the chunks the reader sends it, in order. */
import { parentPort } from "node:worker_threads";
import { Scanner } from "./scan.js";

const scanner = new Scanner();
parentPort?.on("message", (m: { buffer: ArrayBuffer; length: number; unterminated: boolean }) => {
  const r = scanner.scan(new Uint8Array(m.buffer, 0, m.length), m.unterminated);
  parentPort?.postMessage(r, [
    r.ops.buffer,
    r.items.buffer,
    r.offsets.buffer,
    r.lineStarts.buffer,
  ] as ArrayBuffer[]);
});
