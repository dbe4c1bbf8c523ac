/**
 * What the recorder's worker (or, without one, the run's thread) does with each event chunk: format
 * it as JSON lines, or encode it compactly (core/history/compact.ts), and write it to the file.
 */
import { ByteWriter } from "../../core/history/byte-writer.js";
import { CompactEncoder } from "../../core/history/compact.js";
import type { EventChunk } from "../../core/history/events.js";
import { HistoryFormatter } from "../../core/history/formatter.js";
import type { FileSink } from "./file-sink.js";

/** `compact`: the default, a few bytes a message; `jsonl`: docs/HISTORY.md's JSON lines as they are. */
export type HistoryEncoding = "compact" | "jsonl";
export const HISTORY_ENCODINGS: readonly HistoryEncoding[] = ["compact", "jsonl"];

export interface EventWriter {
  consume(chunk: EventChunk): void;
  /** Hands everything consumed to the sink (the sink still has to be flushed). */
  finish(): void;
  readonly lines: number;
}

const FILE_CHUNK_BYTES = 1 << 20;

/** `blockBytes`: the compact encoding's block size (tests make it small to get many blocks). */
export function eventWriter(encoding: HistoryEncoding, sink: FileSink, blockBytes?: number): EventWriter {
  if (encoding === "jsonl") {
    const writer = new ByteWriter(FILE_CHUNK_BYTES, (chunk, release) => sink.write(chunk, release));
    const formatter = new HistoryFormatter(writer);
    return {
      consume: (chunk) => formatter.consume(chunk),
      finish: () => writer.flush(),
      get lines() {
        return formatter.lines;
      },
    };
  }
  const encoder = new CompactEncoder((block, release) => sink.write(block, release), blockBytes);
  sink.write(encoder.header());
  return {
    consume: (chunk) => encoder.consume(chunk),
    finish: () => encoder.flush(),
    get lines() {
      return encoder.lines;
    },
  };
}
