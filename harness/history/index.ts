export { FileSink } from "./file-sink.js";
export {
  type DeliveredIds,
  HISTORY_FORMAT,
  type HistoryMeta,
  HistoryRecorder,
  type SentBatch,
} from "./recorder.js";
