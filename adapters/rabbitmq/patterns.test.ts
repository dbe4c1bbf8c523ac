import { describePatternSubscriptions } from "../patterns.suite.js";
import { serviceGate } from "../test/services.js";
import { rabbitmqFactory } from "./index.js";

const gate = await serviceGate("rabbitmq", "127.0.0.1", 5672);

// AMQP routes a message to a queue once, however many of the queue's bindings match.
describePatternSubscriptions(
  "rabbitmq",
  rabbitmqFactory,
  { url: "amqp://guest:guest@127.0.0.1:5672" },
  { service: gate, overlapDeliveries: 1 },
);
