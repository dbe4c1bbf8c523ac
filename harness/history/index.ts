export { ByteWriter } from "./byte-writer.js";
export { type EventChunk, EventEncoder, OP } from "./events.js";
export { FileSink } from "./file-sink.js";
export { HistoryFormatter } from "./formatter.js";
export {
  type DeliveredIds,
  HISTORY_FORMAT,
  type HistoryMeta,
  HistoryRecorder,
  type RecorderThread,
  type SentBatch,
} from "./recorder.js";
