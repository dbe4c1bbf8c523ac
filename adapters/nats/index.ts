export { connectNats, flushOrClosed, NATS_CLIENT_VERSION, numberSetting, setting } from "./connection.js";
export { NATS_CAPABILITIES, NATS_DEFAULT_URL, NATS_SETTINGS, natsFactory } from "./descriptor.js";
export { checkSubject, NATS_KEY_HEADER, withServerLimit } from "./nats-adapter.js";
