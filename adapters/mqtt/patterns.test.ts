import { describePatternSubscriptions } from "../patterns.suite.js";
import { serviceGate } from "../test/services.js";
import { mqttFactory } from "./index.js";

const gate = await serviceGate("mosquitto", "127.0.0.1", 1883);

describePatternSubscriptions("mqtt", mqttFactory, {}, { service: gate, overlapDeliveries: 2 });
