export { MQTT_CLIENT_VERSION } from "./connection.js";
export { MQTT_CAPABILITIES, MQTT_DEFAULT_URL, MQTT_SETTINGS, mqttFactory } from "./descriptor.js";
export { MQTT_KEY_PROPERTY } from "./mqtt-adapter.js";
