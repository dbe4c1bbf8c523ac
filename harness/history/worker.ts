/**
 * The recorder's worker thread: encodes event chunks into history lines (JSON or compact) and
 * writes them, so a run's thread only hands over numbers. Messages in: chunks, then
 * `{ close: true }`. Messages out: each chunk's buffer back for reuse, then `{ closed: true }` or
 * `{ error }`.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { EventChunk } from "../../core/history/events.js";
import { eventWriter, type HistoryEncoding } from "./encoders.js";
import { FileSink } from "./file-sink.js";

interface Init {
  readonly path: string;
  readonly encoding: HistoryEncoding;
  readonly blockBytes?: number;
  /** [chunks consumed]: the run's thread waits on it when the worker falls behind. */
  readonly consumed: SharedArrayBuffer;
}

const port = parentPort!;
const init = workerData as Init;
const consumed = new Int32Array(init.consumed);
// Asynchronous writes (libuv's pool) let encoding go on while the kernel copies the last chunk.
const sink = new FileSink(init.path);
const writer = eventWriter(init.encoding, sink, init.blockBytes);

port.on("message", (msg: EventChunk | { close: true }) => {
  try {
    if ("close" in msg) {
      writer.finish();
      sink.close().then(
        () => {
          port.postMessage({ closed: true, lines: writer.lines });
          port.close();
        },
        (err: unknown) => port.postMessage({ error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    }
    writer.consume(msg);
    Atomics.add(consumed, 0, 1);
    Atomics.notify(consumed, 0);
    port.postMessage({ recycle: msg.events }, [msg.events.buffer as ArrayBuffer]);
  } catch (err) {
    Atomics.add(consumed, 0, 1 << 20); // unblock a waiting run thread
    Atomics.notify(consumed, 0);
    port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
