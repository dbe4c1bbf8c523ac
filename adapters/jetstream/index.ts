export { JETSTREAM_CAPABILITIES, JETSTREAM_SETTINGS, jetstreamFactory } from "./jetstream-adapter.js";
export { deliverSubject, durableName, STREAM_PREFIX, streamName } from "./streams.js";
