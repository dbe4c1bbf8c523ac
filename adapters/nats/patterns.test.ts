import { describePatternSubscriptions } from "../patterns.suite.js";
import { serviceGate } from "../test/services.js";
import { natsFactory } from "./index.js";

const gate = await serviceGate("nats", "127.0.0.1", 4222);

// Every subscription of a consumer is in its group's queue group, and the server picks one member
// of a queue group per message, however many of its subscriptions match: once.
describePatternSubscriptions("nats", natsFactory, {}, { service: gate, overlapDeliveries: 1 });
