export { MQTT_CLIENT_VERSION, MQTT_DEFAULT_URL, MQTT_SETTINGS } from "./connection.js";
export { MQTT_CAPABILITIES, MQTT_KEY_PROPERTY, mqttFactory } from "./mqtt-adapter.js";
