export { ByteWriter } from "../../core/history/byte-writer.js";
export { type EventChunk, EventEncoder, OP } from "../../core/history/events.js";
export { HistoryFormatter } from "../../core/history/formatter.js";
export { HISTORY_ENCODINGS, type HistoryEncoding } from "./encoders.js";
export { FileSink } from "./file-sink.js";
export {
  type DeliveredIds,
  encodingOf,
  HISTORY_FORMAT,
  type HistoryMeta,
  HistoryRecorder,
  historyFileName,
  type RecorderOptions,
  type RecorderThread,
  type SentBatch,
} from "./recorder.js";
