/**
 * The recorder's worker thread: formats event chunks into history lines and writes them, so a run's
 * thread only hands over numbers. Messages in: chunks, then `{ close: true }`. Messages out: each
 * chunk's buffer back for reuse, then `{ closed: true }` or `{ error }`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ByteWriter } from "./byte-writer.js";
import type { EventChunk } from "./events.js";
import { FileSink } from "./file-sink.js";
import { HistoryFormatter } from "./formatter.js";

interface Init {
  readonly path: string;
  readonly chunkBytes: number;
  /** [chunks consumed]: the run's thread waits on it when the worker falls behind. */
  readonly consumed: SharedArrayBuffer;
}

const port = parentPort!;
const init = workerData as Init;
const consumed = new Int32Array(init.consumed);
// Asynchronous writes (libuv's pool) let formatting go on while the kernel copies the last chunk.
const sink = new FileSink(init.path);
const writer = new ByteWriter(init.chunkBytes, (chunk, release) => sink.write(chunk, release));
const formatter = new HistoryFormatter(writer);

port.on("message", (msg: EventChunk | { close: true }) => {
  try {
    if ("close" in msg) {
      writer.flush();
      sink.close().then(
        () => {
          port.postMessage({ closed: true, lines: formatter.lines });
          port.close();
        },
        (err: unknown) => port.postMessage({ error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    }
    formatter.consume(msg);
    Atomics.add(consumed, 0, 1);
    Atomics.notify(consumed, 0);
    port.postMessage({ recycle: msg.events }, [msg.events.buffer as ArrayBuffer]);
  } catch (err) {
    Atomics.add(consumed, 0, 1 << 20); // unblock a waiting run thread
    Atomics.notify(consumed, 0);
    port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
