export { JETSTREAM_CAPABILITIES, JETSTREAM_SETTINGS, jetstreamFactory } from "./descriptor.js";
export { keyHash } from "./producer.js";
export {
  deliverSubject,
  durableName,
  type Partition,
  partitionsOf,
  STREAM_PREFIX,
  streamName,
} from "./streams.js";
