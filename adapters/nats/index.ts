export {
  connectNats,
  NATS_CLIENT_VERSION,
  NATS_DEFAULT_URL,
  NATS_SETTINGS,
  numberSetting,
  setting,
} from "./connection.js";
export {
  checkSubject,
  NATS_CAPABILITIES,
  NATS_KEY_HEADER,
  natsFactory,
  withServerLimit,
} from "./nats-adapter.js";
export { PushBatcher } from "./push-batcher.js";
