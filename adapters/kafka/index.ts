export { routeBrokers } from "./clients.js";
export { KAFKA_CAPABILITIES, KAFKA_DEFAULT_MESSAGE_MAX_BYTES, kafkaFactory } from "./descriptor.js";
export { connectKafkaAdapter, groupId, processingTopic } from "./kafka-adapter.js";
export { keyPartition } from "./producer.js";
export { KAFKA_SETTINGS, type KafkaSettings, PRESETS, parseBootstrap, parseSettings } from "./settings.js";
